// Reading an OpenAPI document in tests: its operations as "METHOD /path", and every $ref with what it points to.
export const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** Every `$ref` in the document, so each can be checked to resolve. */
export function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((item) => refs(item, found));
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') found.push(child);
      else refs(child, found);
    }
  }
  return found;
}

/** What a local `$ref` ("#/components/schemas/X") points to in the document, or undefined. */
export function resolve(document: unknown, ref: string): unknown {
  return ref.replace(/^#\//, '').split('/').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), document);
}

/** "GET /clients", ... for every operation of `paths`. */
export function operations(paths: Record<string, object>): string[] {
  return Object.entries(paths).flatMap(([path, item]) => Object.keys(item).filter((key) => METHODS.includes(key)).map((method) => `${method.toUpperCase()} ${path}`));
}
