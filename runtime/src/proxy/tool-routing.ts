// How the tools and prompts of several servers share one namespace: `<server>__<name>` when there is more than one server.

/** Between the server name and the tool or prompt name when several servers sit behind one proxy. */
export const NAME_SEPARATOR = "__";

/**
 * Server names that can prefix tool names unambiguously: letters, digits, `.`, `-`, single `_`
 * between them (never `__`, never a trailing `_`), so the first `__` always ends the server name.
 */
export const PREFIXABLE_SERVER_NAME = /^[A-Za-z0-9.-]+(?:_[A-Za-z0-9.-]+)*$/;

export interface Routed<T> {
  target: T;
  /** The name as the server itself knows it. */
  name: string;
}

export class NameRouter<T extends { readonly name: string }> {
  readonly prefixed: boolean;
  readonly #targets: readonly T[];

  constructor(targets: readonly T[], prefixed: boolean) {
    this.#targets = targets;
    this.prefixed = prefixed;
  }

  /** The name the client sees. */
  expose(target: T, name: string): string {
    return this.prefixed ? `${target.name}${NAME_SEPARATOR}${name}` : name;
  }

  /** The server and the server's own name for a name the client used, or undefined. */
  resolve(exposed: string): Routed<T> | undefined {
    if (!this.prefixed) return this.#targets.length > 0 ? { target: this.#targets[0], name: exposed } : undefined;
    const cut = exposed.indexOf(NAME_SEPARATOR);
    if (cut <= 0) return undefined;
    const server = exposed.slice(0, cut);
    const target = this.#targets.find((t) => t.name === server);
    return target ? { target, name: exposed.slice(cut + NAME_SEPARATOR.length) } : undefined;
  }
}
