'use strict'
// aws-login-provider/protocol: the pure protocol functions of login-core (PKCE, authorize URL,
// DPoP keys and proofs, cache entry parsing and refresh, export formats, token replies,
// callbacks, id tokens), as the shared fixture vectors exercise them. No IO happens here.
// Failures throw an Error named `LoginProtocolError` whose `code` is the error variant.

module.exports = require('./binding.js').protocol
