/** What an informer tells its subscribers. */
export interface InformerHandlers<T> {
  onAdd?(object: T): void;
  onUpdate?(previous: T, object: T): void;
  onDelete?(object: T): void;
}

/**
 * An informer's in-memory copy of one kind: objects by key, an index by namespace, and indexes by
 * label added on demand. Replacing the content with a fresh list tells subscribers only the
 * differences, so a relist after a broken watch looks like the events that were missed.
 */
export class ObjectCache<T> {
  private readonly objects = new Map<string, T>();
  private readonly byNamespace = new Map<string, Set<string>>();
  private readonly labelIndexes = new Map<string, Map<string, Set<string>>>();
  private readonly subscribers = new Set<InformerHandlers<T>>();

  constructor(
    private readonly keyOf: (o: T) => string,
    private readonly namespaceOf: (o: T) => string | undefined,
    private readonly labelsOf: (o: T) => Record<string, string> | undefined,
    private readonly same: (a: T, b: T) => boolean,
  ) {}

  /** Subscribes; returns the unsubscribe. */
  on(handlers: InformerHandlers<T>): () => void {
    this.subscribers.add(handlers);
    return () => this.subscribers.delete(handlers);
  }

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  get size(): number {
    return this.objects.size;
  }

  inNamespace(namespace: string): T[] {
    return [...(this.byNamespace.get(namespace) ?? [])].map((k) => this.objects.get(k)!);
  }

  /** Objects whose label `name` is `value`; the index is built on first use and kept after. */
  withLabel(name: string, value: string): T[] {
    let index = this.labelIndexes.get(name);
    if (!index) {
      index = new Map();
      this.labelIndexes.set(name, index);
      for (const [k, o] of this.objects) this.indexLabel(index, name, k, o, 1);
    }
    return [...(index.get(value) ?? [])].map((k) => this.objects.get(k)!);
  }

  upsert(object: T): void {
    const key = this.keyOf(object);
    const previous = this.objects.get(key);
    if (previous) this.unindex(key, previous);
    this.objects.set(key, object);
    this.index(key, object);
    for (const s of this.subscribers) {
      if (!previous) s.onAdd?.(object);
      else if (!this.same(previous, object)) s.onUpdate?.(previous, object);
    }
  }

  remove(object: T): void {
    const key = this.keyOf(object);
    const previous = this.objects.get(key);
    if (!previous) return;
    this.unindex(key, previous);
    this.objects.delete(key);
    for (const s of this.subscribers) s.onDelete?.(previous);
  }

  replace(objects: T[]): void {
    const fresh = new Set(objects.map((o) => this.keyOf(o)));
    for (const [key, o] of [...this.objects]) if (!fresh.has(key)) this.remove(o);
    for (const o of objects) this.upsert(o);
  }

  clear(): void {
    this.objects.clear();
    this.byNamespace.clear();
    this.labelIndexes.clear();
  }

  private index(key: string, o: T): void {
    const ns = this.namespaceOf(o);
    if (ns !== undefined) {
      let set = this.byNamespace.get(ns);
      if (!set) this.byNamespace.set(ns, (set = new Set()));
      set.add(key);
    }
    for (const [name, index] of this.labelIndexes) this.indexLabel(index, name, key, o, 1);
  }

  private unindex(key: string, o: T): void {
    const ns = this.namespaceOf(o);
    if (ns !== undefined) this.byNamespace.get(ns)?.delete(key);
    for (const [name, index] of this.labelIndexes) this.indexLabel(index, name, key, o, -1);
  }

  private indexLabel(index: Map<string, Set<string>>, name: string, key: string, o: T, sign: 1 | -1): void {
    const value = this.labelsOf(o)?.[name];
    if (value === undefined) return;
    let set = index.get(value);
    if (!set) index.set(value, (set = new Set()));
    if (sign > 0) set.add(key);
    else set.delete(key);
  }
}
