/**
 * TLS in the binary (`service.tls`): the certificate chain, key and client CA bundle read and
 * checked per runtime build, and the verified client certificate as the handler sees it. The
 * sockets themselves are the server adapters' (src/server/deno.ts, bun.ts, node_tls.ts).
 *
 * @module
 */
export { EXPIRY_WARNING_DAYS, loadTlsMaterial, type TlsMaterial } from "./material.ts";
export { type PeerCertificate, peerCertificateOf } from "./peer.ts";
