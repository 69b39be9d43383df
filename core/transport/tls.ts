/**
 * TLS for SIP (RFC 3261 §26.2, RFC 5630): the options an operator writes, turned into Node
 * secure contexts; a TLS server whose handshaken sockets are handed to the stream code
 * (a TLSSocket is a net.Socket, so StreamConnection frames it as it frames TCP); and the
 * outgoing TLS socket.
 *
 * Files are read once, when the layer is built or a listener is opened, so a missing or bad
 * file fails at start-up with its path in the message, not on the first call.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import {
  connect as tlsConnect,
  createSecureContext,
  createServer as createTlsServer,
  type SecureContext,
  type SecureVersion,
  type Server as TlsServer,
  type TLSSocket,
} from 'node:tls';

export interface TlsCertFiles {
  /** PEM certificate (chain) file. */
  readonly certFile: string;
  /** PEM private key file (unencrypted). */
  readonly keyFile: string;
}

export interface TlsOptions {
  /**
   * Our certificate: the default one a listener presents, and the client certificate
   * offered on outgoing connections. Required to listen; optional for outgoing only.
   */
  readonly certFile?: string;
  readonly keyFile?: string;
  /**
   * PEM CA bundle used to verify server certificates on outgoing connections and client
   * certificates on listeners with `requireClientCert`. Default: Node's bundled CAs.
   */
  readonly caFile?: string;
  /** Certificates chosen by the SNI name the client asks for; `*.example.com` matches one label. */
  readonly sni?: Readonly<Record<string, TlsCertFiles>>;
  /** OpenSSL cipher list (TLS 1.2 suites; TLS 1.3 suites are Node's defaults). */
  readonly ciphers?: string;
  /** Lowest protocol version accepted either way. Default 'TLSv1.2'. */
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** Listeners: ask for a client certificate and refuse the handshake without a valid one. Default false. */
  readonly requireClientCert?: boolean;
  /** Outgoing: verify the server certificate against `caFile` and the target IP. Default true. */
  readonly verifyServer?: boolean;
}

/** What a listener or outgoing connection needs, with files already read. */
export interface TlsSettings {
  readonly cert: Buffer | undefined;
  readonly key: Buffer | undefined;
  readonly ca: Buffer | undefined;
  readonly ciphers: string | undefined;
  readonly minVersion: SecureVersion;
  readonly requireClientCert: boolean;
  readonly verifyServer: boolean;
  /** Lowercased name (or `*.suffix`) → context. */
  readonly sni: ReadonlyMap<string, SecureContext>;
}

function readPem(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`TLS ${what} '${file}' cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function checkVersion(v: string | undefined): SecureVersion {
  if (v === undefined) return 'TLSv1.2';
  if (v === 'TLSv1.2' || v === 'TLSv1.3') return v;
  throw new Error(`TLS minVersion must be 'TLSv1.2' or 'TLSv1.3', got '${v}'`);
}

/** Reads every file the options name and checks that the key matches the certificate. */
export function loadTlsSettings(opts: TlsOptions): TlsSettings {
  if ((opts.certFile === undefined) !== (opts.keyFile === undefined)) {
    throw new Error('TLS certFile and keyFile go together: give both or neither');
  }
  const cert = opts.certFile !== undefined ? readPem('certFile', opts.certFile) : undefined;
  const key = opts.keyFile !== undefined ? readPem('keyFile', opts.keyFile) : undefined;
  const ca = opts.caFile !== undefined ? readPem('caFile', opts.caFile) : undefined;
  const minVersion = checkVersion(opts.minVersion);
  const ciphers = opts.ciphers;
  // Building a context here surfaces a mismatched key or a bad cipher string at start-up.
  if (cert !== undefined) context('certFile', { cert, key, ciphers, minVersion });
  const sni = new Map<string, SecureContext>();
  for (const [name, files] of Object.entries(opts.sni ?? {})) {
    const sniCert = readPem(`sni['${name}'].certFile`, files.certFile);
    const sniKey = readPem(`sni['${name}'].keyFile`, files.keyFile);
    sni.set(
      name.toLowerCase(),
      context(`sni['${name}']`, { cert: sniCert, key: sniKey, ciphers, minVersion }),
    );
  }
  return {
    cert,
    key,
    ca,
    ciphers,
    minVersion,
    requireClientCert: opts.requireClientCert ?? false,
    verifyServer: opts.verifyServer ?? true,
    sni,
  };
}

function context(
  what: string,
  o: {
    cert: Buffer | undefined;
    key: Buffer | undefined;
    ciphers: string | undefined;
    minVersion: SecureVersion;
  },
): SecureContext {
  try {
    return createSecureContext({
      cert: o.cert,
      key: o.key,
      minVersion: o.minVersion,
      ...(o.ciphers !== undefined ? { ciphers: o.ciphers } : {}),
    });
  } catch (err) {
    throw new Error(`TLS ${what}: ${(err as Error).message}`, { cause: err });
  }
}

/** The SNI context for `servername`: exact name first, then a one-label wildcard. */
export function sniContext(
  sni: ReadonlyMap<string, SecureContext>,
  servername: string,
): SecureContext | undefined {
  const name = servername.toLowerCase();
  const exact = sni.get(name);
  if (exact !== undefined) return exact;
  const dot = name.indexOf('.');
  return dot > 0 ? sni.get(`*${name.slice(dot)}`) : undefined;
}

export interface TlsStreamServer {
  readonly server: TlsServer;
  /** Destroys every accepted socket, handshaking ones included, so server.close() can finish. */
  destroyAll(): void;
}

/**
 * A TLS server for SIP: Nagle off, handshakes bounded by `handshakeTimeoutMs`, only
 * handshaken sockets reach `onSecure`. Handshake failures go to `onClientError`.
 */
export function createTlsStreamServer(
  settings: TlsSettings,
  handshakeTimeoutMs: number,
  onSecure: (socket: TLSSocket) => void,
  onClientError: (err: Error, socket: TLSSocket) => void,
): TlsStreamServer {
  if (settings.cert === undefined || settings.key === undefined) {
    throw new Error('a TLS listener needs certFile and keyFile');
  }
  const sni = settings.sni;
  const server = createTlsServer(
    {
      noDelay: true,
      allowHalfOpen: false,
      cert: settings.cert,
      key: settings.key,
      ...(settings.ca !== undefined ? { ca: settings.ca } : {}),
      ...(settings.ciphers !== undefined ? { ciphers: settings.ciphers } : {}),
      minVersion: settings.minVersion,
      requestCert: settings.requireClientCert,
      rejectUnauthorized: settings.requireClientCert,
      handshakeTimeout: handshakeTimeoutMs,
      ...(sni.size > 0
        ? {
            SNICallback: (name: string, cb: (err: Error | null, ctx?: SecureContext) => void) =>
              cb(null, sniContext(sni, name)),
          }
        : {}),
    },
    onSecure,
  );
  // Every accepted socket until it closes: handshaken ones are also in the connection table
  // (destroying them twice is harmless), the others are known only here.
  const accepted = new Set<Socket>();
  server.on('connection', (raw: Socket) => {
    accepted.add(raw);
    raw.once('close', () => accepted.delete(raw));
  });
  server.on('tlsClientError', onClientError);
  return {
    server,
    destroyAll() {
      for (const raw of accepted) raw.destroy();
      accepted.clear();
    },
  };
}

/**
 * An outgoing TLS socket, already connecting. It emits 'secureConnect' once the handshake
 * succeeded (and, with verifyServer, the certificate matched `host`); a failed verification
 * is an 'error' before 'secureConnect', so nothing is ever written in the clear.
 */
export function connectTls(settings: TlsSettings, host: string, port: number): TLSSocket {
  // `host` is an IP literal, so no resolver (and no family choice) is involved.
  return tlsConnect({
    host,
    port,
    // SNI carries host names only; the target here is always an IP literal.
    ...(settings.cert !== undefined ? { cert: settings.cert, key: settings.key } : {}),
    ...(settings.ca !== undefined ? { ca: settings.ca } : {}),
    ...(settings.ciphers !== undefined ? { ciphers: settings.ciphers } : {}),
    minVersion: settings.minVersion,
    rejectUnauthorized: settings.verifyServer,
  });
}
