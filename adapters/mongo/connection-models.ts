// Mongo model of connections (upstream identity providers): settings kept as opaque JSON text.
import { Schema, type Connection, type Model } from 'mongoose';
import { givenString, options } from './schema-kit.ts';

/**
 * Settings are JSON text, not a subdocument: claim mappings name our profile fields with dots
 * (`address.postal_code`), which design §4 keeps out of Mongo field names.
 */
export interface ConnectionDoc {
  _id: string;
  kind: string;
  name: string;
  settings: string;
  createdAt: Date;
  updatedAt: Date;
}

const connectionSchema = new Schema<ConnectionDoc>(
  {
    _id: givenString('_id'),
    kind: givenString('kind'),
    name: givenString('name'),
    settings: givenString('settings'),
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  options,
);

/** An accepted SAML assertion id (replay cache); _id is the JSON pair [connectionId, assertionId]. */
export interface SamlAssertionIdDoc {
  _id: string;
  expiresAt: Date;
}

const samlAssertionIdSchema = new Schema<SamlAssertionIdDoc>({ _id: givenString('_id'), expiresAt: { type: Date, required: true } }, options);

/** Our SAML IdP signing key: the certificate and the sealed private key. */
export interface SamlIdpKeyDoc {
  _id: string;
  certificatePem: string;
  sealedPrivateKey: string;
  createdAt: Date;
}

const samlIdpKeySchema = new Schema<SamlIdpKeyDoc>({
  _id: givenString('_id'),
  certificatePem: givenString('certificatePem'),
  sealedPrivateKey: givenString('sealedPrivateKey'),
  createdAt: { type: Date, required: true },
}, options);

export interface ConnectionModels {
  connections: Model<ConnectionDoc>;
  federatedIdentities: Model<FederatedIdentityDoc>;
  samlAssertionIds: Model<SamlAssertionIdDoc>;
  samlIdpKeys: Model<SamlIdpKeyDoc>;
}

export function registerConnectionModels(connection: Connection): ConnectionModels {
  return {
    connections: connection.model<ConnectionDoc>('UpstreamConnection', connectionSchema, 'connections'),
    ...registerFederatedIdentityModels(connection),
    samlAssertionIds: connection.model<SamlAssertionIdDoc>('SamlAssertionId', samlAssertionIdSchema, 'saml_assertion_ids'),
    samlIdpKeys: connection.model<SamlIdpKeyDoc>('SamlIdpKey', samlIdpKeySchema, 'saml_idp_keys'),
  };
}

/** A linked upstream identity; _id is the JSON pair [connectionId, subject], so one link per pair (unique _id). */
export interface FederatedIdentityDoc {
  _id: string;
  connectionId: string;
  subject: string;
  accountId: string;
  linkedAt: Date;
}

const federatedIdentitySchema = new Schema<FederatedIdentityDoc>(
  {
    _id: givenString('_id'),
    connectionId: givenString('connectionId'),
    subject: givenString('subject'),
    accountId: givenString('accountId'),
    linkedAt: { type: Date, required: true },
  },
  options,
);

export function registerFederatedIdentityModels(connection: Connection): { federatedIdentities: Model<FederatedIdentityDoc> } {
  return { federatedIdentities: connection.model<FederatedIdentityDoc>('FederatedIdentity', federatedIdentitySchema, 'federated_identities') };
}
