// Types for the one rate-limiter-flexible class the stores subclass that its package index does not export.
// types.d.ts declares RateLimiterStoreAbstract as a named export of 'rate-limiter-flexible', but index.js
// does not export it (the import fails at run time), so the stores load it from its own file.
declare module 'rate-limiter-flexible/lib/RateLimiterStoreAbstract.js' {
  import type { RateLimiterStoreAbstract } from 'rate-limiter-flexible';

  const StoreAbstract: typeof RateLimiterStoreAbstract;
  export default StoreAbstract;
}
