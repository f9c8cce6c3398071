// Types for the one oidc-provider internal this project reads (server/oidc/provider-keystore.ts).
declare module 'oidc-provider/lib/helpers/weak_cache.js' {
  export default function instance(provider: object): unknown;
}
