// The client metadata rules moved to the domain (server/domain/clients/client-input.ts) so the admin API and the
// operator console validate alike; re-exported here for the admin and partner API handlers that import them.
export { type ClientInput, clientInput, fieldErrors, redirectProblems } from '../domain/clients/client-input.ts';
