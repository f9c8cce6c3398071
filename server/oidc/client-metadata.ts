// A client's metadata built once per oidc-provider Client, not on every read.
/**
 * oidc-provider's Client.metadata() rebuilds the whole record on each call: every property snake-cased by two
 * regular expressions and looked up in the list of recognised metadata. Our policies read one field at a time
 * (kiosk channel, partner, first party, required claims, purposes, MFA, resources) many times per sign-in and
 * once or twice per token (a bench:signin profile put ~0.4 ms of each sign-in's event-loop time in it). A Client's
 * properties do not change after it is built (a changed client is a new Client: server/oidc/client-lookup-memo.ts
 * and oidc-provider's own cache), so the record is kept per Client, frozen so that no reader alters another's.
 */
const built = new WeakMap<object, object>();

export function clientMetadata<T extends object>(client: { metadata(): T }): Readonly<T> {
  let metadata = built.get(client) as T | undefined;
  if (!metadata) {
    metadata = Object.freeze(client.metadata());
    built.set(client, metadata);
  }
  return metadata;
}
