import type { ClientId, OAuthClient } from '@latchkey/domain';
import { expect } from 'chai';
import { aClient, aGrant, at, aUser, uuid } from './fixtures.js';
import { forEachStorage } from './storage-targets.js';

const URL_ID = 'https://app.example.com/oauth/client.json';
const user = aUser(1);

/** A metadata document client as the resolver builds it (docs/http-api.md#client-id-metadata-documents). */
const documentClient = (n: number, overrides: Partial<OAuthClient> = {}): OAuthClient =>
  aClient(n, {
    name: 'Document Client',
    callbackUrl: 'http://127.0.0.1/callback',
    redirectUris: ['http://127.0.0.1/callback'],
    clientType: 'public',
    tokenEndpointAuthMethod: 'none',
    metadataDocumentUrl: URL_ID,
    metadata: { clientName: 'Document Client', logoUri: 'https://app.example.com/logo.png' },
    createdAt: at(1),
    updatedAt: at(1),
    ...overrides,
  });

describe('the ClientRepository contract for metadata document clients', () => {
  forEachStorage((storage) => {
    beforeEach(async () => {
      await storage().users.insert(user, 'h');
    });

    it('inserts a client the first time its URL is saved, and finds it by URL and by id', async () => {
      const client = documentClient(1);
      expect(await storage().clients.saveMetadataDocumentClient(client)).to.deep.equal(client);
      expect(await storage().clients.findByMetadataDocumentUrl(URL_ID)).to.deep.equal(client);
      expect(await storage().clients.findById(client.id)).to.deep.equal(client);
    });

    it('refreshes the stored row from a newer document, keeping its id, creation and first token', async () => {
      const first = documentClient(1);
      await storage().clients.saveMetadataDocumentClient(first);
      await storage().clients.recordFirstToken(first.id, at(2));
      await storage().grants.insert(aGrant(1, first.id, user.id));
      const newer = documentClient(2, {
        name: 'Renamed',
        redirectUris: ['https://app.example.com/cb'],
        callbackUrl: 'https://app.example.com/cb',
        scope: ['mcp'],
        createdAt: at(5),
        updatedAt: at(5),
      });
      const saved = await storage().clients.saveMetadataDocumentClient(newer);
      const expected: OAuthClient = { ...newer, id: first.id, createdAt: at(1), firstTokenAt: at(2) };
      expect(saved).to.deep.equal(expected);
      expect(await storage().clients.findByMetadataDocumentUrl(URL_ID)).to.deep.equal(expected);
      expect(await storage().clients.findById(newer.id)).to.equal(undefined);
      expect((await storage().grants.findById(aGrant(1, first.id, user.id).id))?.clientId).to.equal(first.id);
    });

    it('keeps clients of different URLs apart, and matches URLs exactly', async () => {
      await storage().clients.saveMetadataDocumentClient(documentClient(1));
      const other = documentClient(2, { metadataDocumentUrl: `${URL_ID}?v=2` });
      await storage().clients.saveMetadataDocumentClient(other);
      expect((await storage().clients.findByMetadataDocumentUrl(`${URL_ID}?v=2`))?.id).to.equal(other.id);
      expect(await storage().clients.findByMetadataDocumentUrl(URL_ID.toUpperCase())).to.equal(undefined);
      expect(await storage().clients.findByMetadataDocumentUrl('https://app.example.com/other')).to.equal(
        undefined,
      );
    });

    it('leaves other clients without a URL, and deleting a document client takes its grants', async () => {
      const app = aClient(3);
      await storage().clients.insert(app);
      expect((await storage().clients.findById(app.id))?.metadataDocumentUrl).to.equal(undefined);
      const client = documentClient(1);
      await storage().clients.saveMetadataDocumentClient(client);
      await storage().grants.insert(aGrant(1, client.id, user.id));
      expect(await storage().clients.delete(client.id)).to.equal(true);
      expect(await storage().clients.findByMetadataDocumentUrl(URL_ID)).to.equal(undefined);
      expect(await storage().grants.findById(aGrant(1, client.id, user.id).id)).to.equal(undefined);
      expect(await storage().clients.findById(uuid(0x3003) as ClientId)).to.deep.equal(app);
    });
  });
});
