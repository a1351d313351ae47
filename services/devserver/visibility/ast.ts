/** Comparison operators of the list-filter language. */
export type ComparisonOperator = '=' | '!=' | '>' | '>=' | '<' | '<=';

/** A literal as written; meaning (datetime, status…) is decided by the attribute's type. */
export type Literal =
  | { kind: 'string'; value: string; column: number }
  | { kind: 'number'; value: number; text: string; column: number }
  | { kind: 'bool'; value: boolean; column: number };

/** A reference to a search attribute; `column` is where it was written (1-based). */
export interface AttributeRef {
  name: string;
  column: number;
}

/** Filter expression tree. */
export type Expr =
  | { kind: 'and'; left: Expr; right: Expr }
  | { kind: 'or'; left: Expr; right: Expr }
  | { kind: 'not'; expr: Expr }
  | { kind: 'compare'; attr: AttributeRef; op: ComparisonOperator; value: Literal }
  | { kind: 'in'; attr: AttributeRef; values: Literal[]; negated: boolean }
  | { kind: 'between'; attr: AttributeRef; low: Literal; high: Literal; negated: boolean }
  | { kind: 'startsWith'; attr: AttributeRef; prefix: Literal; negated: boolean }
  | { kind: 'isNull'; attr: AttributeRef; negated: boolean };

/** One ORDER BY term. */
export interface OrderTerm {
  attr: AttributeRef;
  direction: 'ASC' | 'DESC';
}

/** A parsed query: optional filter, GROUP BY names, ORDER BY terms. */
export interface QueryAst {
  filter: Expr | undefined;
  groupBy: AttributeRef[];
  orderBy: OrderTerm[];
}
