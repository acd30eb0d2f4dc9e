import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import forge from 'node-forge';

/** A certificate authority made for one test run, and a server certificate it signed. */
export interface TestCertificates {
  /** The CA certificate (PEM): what the fetcher is told to trust. */
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** An RSA key pair made by Node (fast, native), in node-forge's form. */
const keyPair = (): {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  pem: string;
} => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    privateKey: forge.pki.privateKeyFromPem(privateKey),
    publicKey: forge.pki.publicKeyFromPem(publicKey),
    pem: privateKey,
  };
};

const certificate = (
  serial: string,
  subject: string,
  publicKey: forge.pki.PublicKey,
  extensions: object[],
): forge.pki.Certificate => {
  const cert = forge.pki.createCertificate();
  cert.serialNumber = serial;
  cert.publicKey = publicKey;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: subject }]);
  cert.setExtensions(extensions);
  return cert;
};

/**
 * A fresh CA and a server certificate for `localhost`, `cimd.test` (and its subdomains),
 * `127.0.0.1` and `::1`, valid for a day. Nothing is read from or written to disk.
 */
export const makeTestCertificates = (): Promise<TestCertificates> => {
  const caKeys = keyPair();
  const ca = certificate('01', 'Latchkey test CA', caKeys.publicKey, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.setIssuer(ca.subject.attributes);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const serverKeys = keyPair();
  const cert = certificate('02', 'localhost', serverKeys.publicKey, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 2, value: 'localhost' },
        { type: 2, value: 'cimd.test' },
        { type: 2, value: '*.cimd.test' },
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
      ],
    },
  ]);
  cert.setIssuer(ca.subject.attributes);
  cert.sign(caKeys.privateKey, forge.md.sha256.create());
  return Promise.resolve({
    ca: forge.pki.certificateToPem(ca),
    cert: forge.pki.certificateToPem(cert),
    key: serverKeys.pem,
  });
};

/** How the document server answers one path. */
export type Answer = (req: IncomingMessage, res: ServerResponse) => void;

/** A JSON answer with the given status and headers. */
export const json =
  (body: unknown, headers: Record<string, string> = {}, status = 200): Answer =>
  (_req, res) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(text);
  };

/**
 * An https server on 127.0.0.1 that serves client metadata documents, each path answered as
 * told, and counts the requests of each path.
 */
export class DocumentServer {
  readonly answers = new Map<string, Answer>();
  readonly hits = new Map<string, number>();
  /** Responses left hanging (slow answers), ended when the server stops. */
  private readonly hanging = new Set<ServerResponse>();
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(certificates: TestCertificates): Promise<DocumentServer> {
    const server = createServer({ cert: certificates.cert, key: certificates.key });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const self = new DocumentServer(server, (server.address() as AddressInfo).port);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      self.handle(req, res);
    });
    return self;
  }

  /** `https://127.0.0.1:<port><path>`. */
  url(path: string, host = '127.0.0.1'): string {
    return `https://${host}:${this.port}${path}`;
  }

  serve(path: string, answer: Answer): void {
    this.answers.set(path, answer);
  }

  hitsOf(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  /** Never answers (until the server stops). */
  hang(path: string): void {
    this.serve(path, (_req, res) => {
      this.hanging.add(res);
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '';
    this.hits.set(path, this.hitsOf(path) + 1);
    const answer = this.answers.get(path);
    if (answer === undefined) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{}');
      return;
    }
    answer(req, res);
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }
}

/** A valid metadata document for `url`. */
export const aDocument = (url: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  client_id: url,
  client_name: 'Document Client',
  redirect_uris: ['http://127.0.0.1:8123/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  ...extra,
});
