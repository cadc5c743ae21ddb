"""Find every place that creates rows of a model or writes its columns, reading the source
with `ast`; tests/test_architecture.py uses it to keep "one owning module per record" true.

Why not grep: `ticket.status =` misses another variable name, a tuple target, setattr, a bulk
UPDATE or SQL text. One scanner, parametrised by a `Record`, finds all of these spellings:

- **Creation**: `Model(...)` under an import alias, an assigned alias (`Raw = InboundRaw`) or a
  path (`models.InboundRaw(...)`); insert/bulk_insert_mappings/bulk_save_objects on it;
  `INSERT INTO table` in SQL text.
- **Bulk writes**: calls named (or imported as) update, delete or bulk_update_mappings whose
  first argument is the entity (the class, an alias, `aliased(M)`, `M.__table__`,
  `tables["name"]`) or whose receiver chain holds it: `update(M).values(col=...)`,
  `query(M).filter(...).update({...})`, `M.__table__.delete()`; `UPDATE`/`DELETE FROM` in SQL
  text. The columns are read from `.values(...)`/the update dict; if unknown, "*" (any).
- **Attribute writes** to a watched column, in plain, tuple, list, starred, augmented,
  annotated, `for`, `with` and `del` targets, `obj.__dict__[...]`, and setattr-like calls
  (setattr, __setattr__, set_attribute, set_committed_value; a run-time column name is "*").
  A column only this model has counts on any object. A column other models share counts when
  the object is a row: a name annotated with the model; a parameter or name matching the
  record's conventional names (`raw`, `ticket`...); the model's relationships (`.ticket`); a
  name bound (assignment, loop, comprehension, `with`, walrus, unpacking, enclosing function)
  from something yielding rows: `M(...)`, `session.get(M, ...)`, `scalars(select(M))`,
  `M.query...`, a method of a row or query, a project function declared `-> M`, an element.
  A name is cleared by saying it is something else: an annotation naming another model, or a
  binding from another model or from a function declared to return one.

CASES are the scanner's own self-checks (caught / innocent), run by the test before the sources,
so the scanner cannot silently go blind. Column names come from the mapped model, so renaming
a column fails loudly.
"""

import ast
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

CREATE = {"insert", "bulk_insert_mappings", "bulk_save_objects"}
BULK = CREATE | {"update", "delete", "bulk_update_mappings"}
SETTERS = {"setattr", "__setattr__", "set_attribute", "set_committed_value"}
SELECTORS = {
    "get",
    "get_or_404",
    "scalar",
    "scalars",
    "select",
    "query",
    "execute",
    "list",
    "tuple",
    "sorted",
    "reversed",
    "iter",
    "next",
    "merge",
    "one_or_404",
    "first_or_404",
    "first",
    "one",
    "all",
}
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
ANY = "*"  # a write whose column cannot be read from the source


@dataclass
class Record:
    model: type
    names: str = ""  # regex (full match) of the names the code conventionally gives its rows
    columns: set[str] = field(init=False)  # columns and relationships
    unique: set[str] = field(init=False)  # only this model has them
    table: str = field(init=False)

    def __post_init__(self):
        from ticketing.extensions import db

        mapper = self.model.__mapper__
        self.table = self.model.__table__.name
        self.columns = {c.name for c in self.model.__table__.columns} | {
            r.key for r in mapper.relationships
        }
        others = [m for m in db.Model.registry.mappers if m is not mapper]
        self.unique = self.columns - {p.key for m in others for p in m.attrs}
        self.relations = {
            r.key for m in db.Model.registry.mappers for r in m.relationships if r.mapper is mapper
        }
        self.others = {m.class_.__name__ for m in others}
        name = re.escape(self.table)
        self.sql = re.compile(rf"\b(insert\s+into|update|delete\s+from)\s+[\"`]?{name}\b", re.I)


@dataclass(frozen=True, order=True)
class Write:
    path: str
    line: int
    function: str
    column: str | None  # None: creates a row
    what: str

    def __str__(self):
        return f"{self.path}:{self.line} ({self.function}): {self.what}"


def scan(record: Record, paths, root: Path) -> list[Write]:
    """Every creation and write of `record` in the files at `paths`."""
    trees = {str(p.relative_to(root)): _tree(p) for p in paths}
    returning = _returning(record, trees.values())
    return sorted(
        w for path, tree in trees.items() for w in Scanner(record, tree, path, returning).found
    )


@functools.cache
def _tree(path: Path) -> ast.Module:
    """A source file parsed once per run: every rule scans all of them (read-only)."""
    return ast.parse(path.read_text(), str(path))


@functools.cache
def _nodes(tree: ast.AST) -> tuple[ast.AST, ...]:
    return tuple(ast.walk(tree))


@functools.cache
def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {c: n for n in _nodes(tree) for c in ast.iter_child_nodes(n)}


def writes_in(record: Record, source: str) -> list[Write]:
    tree = ast.parse(source)
    return sorted(Scanner(record, tree, "<case>", _returning(record, [tree])).found)


def _returning(record: Record, trees) -> tuple[set[str], set[str]]:
    """(functions declared to return the model, functions declared to return another one)."""
    ours, theirs = set(), set()
    for tree in trees:
        for node in _nodes(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
                names = {_name(n) for n in ast.walk(_typed(node.returns))}
                if record.model.__name__ in names:
                    ours.add(node.name)
                elif names & record.others:
                    theirs.add(node.name)
    return ours, theirs


def _typed(annotation: ast.AST) -> ast.AST:
    """A string annotation ("Outbox | None") parsed, anything else as it is."""
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            return ast.parse(annotation.value, mode="eval")
        except SyntaxError:
            pass
    return annotation


def _name(node: ast.AST) -> str:
    return node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")


def _targets(node: ast.AST) -> list[ast.AST]:
    """What a statement binds or writes, tuples and starred targets flattened."""
    if isinstance(node, ast.Assign | ast.Delete):
        found = list(node.targets)
    elif isinstance(
        node,
        ast.AugAssign | ast.AnnAssign | ast.For | ast.AsyncFor | ast.comprehension | ast.NamedExpr,
    ):
        found = [node.target]
    elif isinstance(node, ast.withitem):
        found = [node.optional_vars] if node.optional_vars else []
    else:
        return []
    flat = []
    while found:
        target = found.pop()
        if isinstance(target, ast.Tuple | ast.List):
            found.extend(target.elts)
        elif isinstance(target, ast.Starred):
            found.append(target.value)
        else:
            flat.append(target)
    return flat


def _value(node: ast.AST) -> ast.AST | None:
    """The expression a binding statement takes its names from."""
    if isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
        return node.iter
    if isinstance(node, ast.withitem):
        return node.context_expr
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr):
        return node.value
    return None


@functools.cache
def _own_nodes(scope: ast.AST) -> tuple[ast.AST, ...]:
    """Nodes of `scope` itself, not of the functions nested in it (those are scopes too)."""
    found, stack = [], list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        found.append(node)
        if not isinstance(node, SCOPES):
            stack.extend(ast.iter_child_nodes(node))
    return tuple(found)


def _arguments(scope: ast.AST) -> list[ast.arg]:
    args = scope.args if isinstance(scope, SCOPES) else None
    return args.posonlyargs + args.args + args.kwonlyargs if args else []


def _set_columns(call: ast.Call) -> set[str]:
    """The columns of `.values(a=1)`, `.update({"a": 1})`, `.values({M.a: 1})`."""
    keys = {k.arg or ANY for k in call.keywords}  # **columns: any
    for arg in call.args:
        if isinstance(arg, ast.Dict):
            keys |= {
                k.value
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
                else k.attr
                if isinstance(k, ast.Attribute)
                else ANY
                for k in arg.keys
            }
    return keys


class Scanner:
    def __init__(self, record: Record, tree: ast.Module, path: str, returning):
        self.r, self.path = record, path
        self.ours, self.theirs = returning
        model = record.model.__name__
        self.aliases = {model} | {
            a.asname
            for n in _nodes(tree)
            if isinstance(n, ast.Import | ast.ImportFrom)
            for a in n.names
            if a.asname and a.name.endswith(model)
        }
        self.bulk_names = {
            a.asname: a.name
            for n in _nodes(tree)  # import update as upd
            if isinstance(n, ast.ImportFrom)
            for a in n.names
            if a.asname and a.name in BULK
        }
        for node in _nodes(tree):  # Raw = InboundRaw
            if isinstance(node, ast.Assign) and self.entity(node.value):
                self.aliases |= {t.id for t in _targets(node) if isinstance(t, ast.Name)}
        self.parent = _parents(tree)
        self.found: set[Write] = set()
        self.scan(tree, set(), "<module>")

    # -- what is the model, what is a row ---------------------------------------------------

    def entity(self, node: ast.AST) -> bool:
        """The class or its table: an alias, `models.M`, `M.__table__`, `tables["name"]`,
        `aliased(M)`, `getattr(models, "M")`."""
        model = self.r.model.__name__
        if isinstance(node, ast.Name):
            return node.id in self.aliases
        if isinstance(node, ast.Attribute):
            return node.attr == model or node.attr == "__table__" and self.entity(node.value)
        if isinstance(node, ast.Subscript):
            return isinstance(node.slice, ast.Constant) and node.slice.value == self.r.table
        if isinstance(node, ast.Call) and _name(node.func) in {"aliased", "getattr"}:
            return any(
                self.entity(a) or isinstance(a, ast.Constant) and a.value == model
                for a in node.args
            )
        return False

    def mentions(self, node: ast.AST | None) -> bool:
        return node is not None and any(self.entity(n) for n in ast.walk(_typed(node)))

    def conventional(self, name: str) -> bool:
        return bool(self.r.names) and re.fullmatch(self.r.names, name) is not None

    def yields(self, node: ast.AST, bound: set[str]) -> bool:
        """An expression whose value is a row, rows, or a query for them."""
        if isinstance(node, ast.Name):
            return node.id in bound
        if isinstance(node, ast.Attribute):
            return (
                node.attr in self.r.relations
                or self.conventional(node.attr)
                or node.attr == "query"
                and self.entity(node.value)
            )
        if isinstance(node, ast.Subscript | ast.Starred | ast.NamedExpr | ast.Await):
            return self.yields(node.value, bound)
        if isinstance(node, ast.IfExp):
            return self.yields(node.body, bound) or self.yields(node.orelse, bound)
        if isinstance(node, ast.BoolOp | ast.Tuple | ast.List):
            return any(self.yields(v, bound) for v in getattr(node, "values", None) or node.elts)
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            return self.yields(node.elt, bound)
        if isinstance(node, ast.Call):
            func = node.func
            if self.entity(func) or _name(func) in self.ours:
                return True
            if isinstance(func, ast.Attribute) and (
                self.entity(func.value) or self.yields(func.value, bound)
            ):
                return True  # a method of a row or of a query for rows: .where(), .first()
            return _name(func) in SELECTORS and any(
                self.entity(a) or self.yields(a, bound) for a in node.args
            )
        return False

    def declared(self, scope: ast.AST) -> dict[str, bool]:
        """Names the scope says something about: annotated (a row or not), or bound from
        another model (not a row, unless bound from rows too: see bind)."""
        said: dict[str, bool] = {}
        for node in _own_nodes(scope):
            value = _value(node)
            names = [t.id for t in _targets(node) if isinstance(t, ast.Name)]
            if (
                value is not None
                and not self.mentions(value)
                and any(_name(n) in self.r.others | self.theirs for n in ast.walk(value))
            ):
                said.update(dict.fromkeys(names, False))
            if isinstance(node, ast.AnnAssign):
                said.update(dict.fromkeys(names, self.mentions(node.annotation)))
        for arg in _arguments(scope):
            if arg.annotation is not None:
                said[arg.arg] = self.mentions(arg.annotation)
        return said

    def bind(self, scope: ast.AST, inherited: set[str]) -> set[str]:
        """The names in `scope` holding rows, to a fixed point."""
        declared = self.declared(scope)
        bound = inherited | {n for n, is_row in declared.items() if is_row}
        names = {n.id for n in _own_nodes(scope) if isinstance(n, ast.Name)}
        bound |= {
            n
            for n in names | {a.arg for a in _arguments(scope)}
            if self.conventional(n) and n not in declared
        }
        while True:
            before = len(bound)
            for node in _own_nodes(scope):
                value = _value(node)
                if value is not None and self.yields(value, bound):
                    bound |= {t.id for t in _targets(node) if isinstance(t, ast.Name)}
            if len(bound) == before:
                return bound

    # -- what is a write --------------------------------------------------------------------

    def scan(self, scope: ast.AST, inherited: set[str], function: str) -> None:
        bound = self.bind(scope, inherited)
        for node in _own_nodes(scope):
            for column, what in self.writes(node, bound):
                self.found.add(Write(self.path, node.lineno, function, column, what))
            if isinstance(node, SCOPES):
                self.scan(node, bound, getattr(node, "name", function))

    def writes(self, node: ast.AST, bound: set[str]):
        if isinstance(node, ast.Call):
            yield from self.call_writes(node, bound)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = self.r.sql.search(node.value)
            if match:
                insert = match.group(1).lower().startswith("insert")
                yield (None if insert else ANY), f"SQL text: {match.group(0)!r}"
        for target in _targets(node):
            if isinstance(target, ast.Subscript) and _name(target.value) == "__dict__":
                column = target.slice.value if isinstance(target.slice, ast.Constant) else ANY
                if column == ANY or self.is_row_column(column, target.value.value, bound):
                    yield column, f"sets {ast.unparse(target)}"
            elif isinstance(target, ast.Attribute) and self.is_row_column(
                target.attr, target.value, bound
            ):
                yield target.attr, f"sets {ast.unparse(target)}"

    def is_row_column(self, column: str, owner: ast.AST, bound: set[str]) -> bool:
        return column in self.r.columns and (
            column in self.r.unique or self.yields(owner, bound) or self.mentions(owner)
        )

    def call_writes(self, node: ast.Call, bound: set[str]):
        func, first = node.func, node.args[0] if node.args else None
        name = self.bulk_names.get(_name(func), _name(func))
        if self.entity(func):
            yield None, f"constructs {ast.unparse(func)}"
        elif name in BULK and (
            first is not None
            and self.entity(first)
            or isinstance(func, ast.Attribute)
            and self.mentions(func.value)
        ):
            yield from self.bulk_writes(node, name)
        elif name in SETTERS and first is not None:
            yield from self.setter_writes(node, name, bound)

    def bulk_writes(self, node: ast.Call, name: str):
        if name in CREATE:
            yield None, f"bulk {name}"
            return
        columns = _set_columns(node) if name != "delete" else set()
        child = node
        while not columns and isinstance(self.parent.get(child), ast.Attribute):
            call = self.parent.get(self.parent[child])  # update(M).where().values(...)
            if not isinstance(call, ast.Call) or call.func is not self.parent[child]:
                break
            if call.func.attr == "values":
                columns = _set_columns(call)
            child = call
        for column in sorted(columns) or [ANY]:
            yield column, f"bulk {name} of {column}"

    def setter_writes(self, node: ast.Call, name: str, bound: set[str]):
        func, owner, args = node.func, node.args[0], node.args[1:]
        if (
            name == "__setattr__"
            and isinstance(func, ast.Attribute)
            and not (isinstance(func.value, ast.Name) and func.value.id == "object")
        ):
            owner, args = func.value, node.args  # row.__setattr__(name, value)
        key = args[0] if args else None
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            if self.is_row_column(key.value, owner, bound):
                yield key.value, f"{name} {key.value!r} on {ast.unparse(owner)}"
        elif self.yields(owner, bound) or self.mentions(owner):
            yield ANY, f"{name} on {ast.unparse(owner)}"


# The scanner's own cases: (model name, code). CAUGHT must each be found, INNOCENT never.
CAUGHT = [
    ("InboundRaw", "raw = InboundRaw(channel=c, external_id=k, payload=p)"),
    ("InboundRaw", "from ticketing.models import InboundRaw as Kept\nKept(payload=b'')"),
    ("InboundRaw", "from ticketing import models\nmodels.InboundRaw()"),
    ("InboundRaw", "Raw = InboundRaw\nRaw()"),
    ("InboundRaw", "def f(i):\n    raw = db.session.get(InboundRaw, i)\n    raw.status = 'done'"),
    (
        "InboundRaw",
        "def f(i):\n    it = db.get_or_404(InboundRaw, i)\n    it.status, it.attempts = 1, 1",
    ),
    (
        "InboundRaw",
        "def f():\n    for each in db.session.scalars(select(InboundRaw)):\n"
        "        each.attempts += 1",
    ),
    (
        "InboundRaw",
        "def f():\n    [(a, b)] = db.session.scalars(select(InboundRaw)).all()\n    b.status = 1",
    ),
    ("InboundRaw", "def f(rows):\n    first, *rest = rows\n    first.status = 'x'"),
    (
        "InboundRaw",
        "def f():\n    rows = db.session.scalars(select(InboundRaw)).all()\n    rows[0].status = 1",
    ),
    (
        "InboundRaw",
        "def f(i):\n    if (r := db.session.get(InboundRaw, i)):\n        r.ticket_id = 1",
    ),
    ("InboundRaw", "def f(i):\n    db.session.get(InboundRaw, i).status = 'x'"),
    ("InboundRaw", "def f(item: 'InboundRaw | None'):\n    item.ticket_id: int = 1"),
    ("InboundRaw", "def f(row):\n    row.status = 'x'"),
    ("InboundRaw", "def f(thing):\n    thing.error = 'x'"),
    ("InboundRaw", "def f(thing):\n    del thing.payload"),
    ("InboundRaw", "def f(raw):\n    setattr(raw, name, value)"),
    ("InboundRaw", "def f(thing):\n    setattr(thing, 'payload', b'')"),
    ("InboundRaw", "def f(raw):\n    object.__setattr__(raw, 'status', 1)"),
    ("InboundRaw", "def f(raw):\n    raw.__setattr__('status', 1)"),
    ("InboundRaw", "def f(raw):\n    raw.__dict__['status'] = 1"),
    ("InboundRaw", "class C:\n    def f(self):\n        self.raw.status = 'x'"),
    (
        "InboundRaw",
        "def f(i):\n    raw = db.session.get(InboundRaw, i)\n    def g():\n        raw.status = 1",
    ),
    ("InboundRaw", "def f(p):\n    with p.open() as (raw, _):\n        raw.status = 1"),
    ("InboundRaw", "def f():\n    for raw.status in []:\n        pass"),
    ("InboundRaw", "db.session.execute(update(InboundRaw).values(status='x'))"),
    ("InboundRaw", "db.session.execute(sa.delete(InboundRaw))"),
    (
        "InboundRaw",
        "from sqlalchemy import update as upd\n"
        "db.session.execute(upd(InboundRaw).values(error=None))",
    ),
    ("InboundRaw", "db.session.query(InboundRaw).filter_by(id=1).update({'status': 'x'})"),
    ("InboundRaw", "db.session.execute(InboundRaw.__table__.insert(), [])"),
    ("InboundRaw", "db.session.execute(db.metadata.tables['inbound_raw'].update())"),
    ("InboundRaw", "db.session.bulk_update_mappings(InboundRaw, [])"),
    ("InboundRaw", "db.session.execute(text('UPDATE inbound_raw SET status = 1'))"),
    ("InboundRaw", "db.session.execute(text('insert into \"inbound_raw\" (id) values (1)'))"),
    ("Outbox", "def f(outbox_row):\n    outbox_row.status = 'sent'"),
    ("Outbox", "def f(m):\n    m.outbox.attempts += 1"),
    (
        "Outbox",
        "def _next() -> 'Outbox | None':\n    pass\ndef f():\n    x = _next()\n    x.status = 1",
    ),
    ("Outbox", "def f():\n    x: Outbox = g()\n    x.status = 1"),
    (
        "Outbox",
        "def f():\n    O = aliased(Outbox)\n    db.session.execute(update(O).values(status=1))",
    ),
    ("Outbox", "def f():\n    x = Outbox.query.filter_by(id=1).first()\n    x.attempts = 2"),
    ("Outbox", "def f(x):\n    x.provider_id = 'SM1'"),
    (
        "Ticket",
        "def f():\n    db.session.execute(update(Ticket).where(Ticket.id == 1)"
        ".values(next_follow_up_at=None))",
    ),
    ("Ticket", "def f(message):\n    message.ticket.status = 'open'"),
    ("Promise", "def f(c):\n    db.session.execute(update(Promise).values({c: 1}))"),
    ("Ticket", "def f(item):\n    t = db.session.get(Ticket, item)\n    t.assignee = None"),
]
INNOCENT = [
    ("InboundRaw", "def f(i):\n    row = db.session.get(Outbox, i)\n    row.status = 'sent'"),
    ("InboundRaw", "def f(row: Outbox):\n    row.status, row.attempts = 'x', 1"),
    (
        "InboundRaw",
        "def f(i):\n    raw = db.session.get(InboundRaw, i)\n"
        "    t = db.session.get(Ticket, raw.ticket_id)\n    t.status = 'open'",
    ),
    (
        "InboundRaw",
        "def f():\n    n = db.session.scalar(select(func.count(InboundRaw.id)))\n"
        "    report.update(n=n)",
    ),
    ("InboundRaw", "def f(raw: bytes):\n    message.status = len(raw)"),
    (
        "InboundRaw",
        "def _row() -> Outbox:\n    pass\ndef f():\n    row = _row()\n    row.not_before = 1",
    ),
    ("Outbox", "def f(row: InboundRaw):\n    row.status = 1"),
    ("Outbox", "def f(ticket):\n    ticket.status = 1"),
    ("Ticket", "def f(i):\n    promise = db.session.get(Promise, i)\n    promise.status = 'kept'"),
    ("Ticket", "def f(ticket):\n    db.session.execute(update(Promise).values(status=1))"),
]
