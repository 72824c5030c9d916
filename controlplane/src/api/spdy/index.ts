// A small SPDY/3.1 server, enough for kubectl's port-forward streams: framing, header blocks and
// their compression, and the session that turns streams into Duplexes.

export * from './dictionary.js';
export * from './frames.js';
export * from './headers.js';
export * from './session.js';
