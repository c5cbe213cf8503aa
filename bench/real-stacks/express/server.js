// Create a Service Access Token, written the usual way with Express 5 and ajv (+ ajv-formats).
// Run: TOKEN=... SERVICE=svc_x PORT=3000 node server.js   (API root: /api/v1)
// Framework defaults are kept on purpose: express.json(), Express's own OPTIONS and 404
// answers, the default error handler, Node's HTTP parser.
'use strict';

const crypto = require('node:crypto');
const express = require('express');
const Ajv = require('ajv/dist/2020');
const addFormats = require('ajv-formats');

const API_TOKEN = process.env.TOKEN;
const SERVICES = new Set([process.env.SERVICE || 'svc_x']);
const DEFAULT_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

const requestSchema = {
  type: 'object',
  required: ['name', 'description'],
  properties: {
    name: { type: 'string', maxLength: 55 },
    description: { type: 'string' },
    expires_at: { type: ['string', 'null'], format: 'date-time' },
  },
};

const ajv = new Ajv({ allErrors: true });
addFormats(ajv);
const validateCreate = ajv.compile(requestSchema);

function authenticate(req, res, next) {
  const header = req.get('authorization') || '';
  const [scheme, token] = header.split(' ');
  const ok =
    scheme && scheme.toLowerCase() === 'bearer' && token &&
    token.length === API_TOKEN.length &&
    crypto.timingSafeEqual(Buffer.from(token), Buffer.from(API_TOKEN));
  if (!ok) {
    res.set('WWW-Authenticate', 'Bearer');
    return res.status(401).json({ message: 'Unauthenticated.' });
  }
  next();
}

const app = express();
const api = express.Router();

api.post('/workspace/services/:service/tokens/access', authenticate, express.json(), (req, res) => {
  if (!SERVICES.has(req.params.service)) {
    return res.status(404).json({ message: `Service ${req.params.service} not found.` });
  }
  if (!validateCreate(req.body)) {
    return res.status(422).json({ message: 'The given data was invalid.', errors: validateCreate.errors });
  }
  const now = new Date();
  const expiresAt = req.body.expires_at ? new Date(req.body.expires_at) : new Date(now.getTime() + DEFAULT_LIFETIME_MS);
  // A Date cannot hold everything the format admits (a leap second, a year past 9999 once in UTC):
  // refuse what it cannot store rather than answer a broken timestamp.
  if (Number.isNaN(expiresAt.getTime()) || expiresAt.getUTCFullYear() > 9999) {
    return res.status(422).json({ message: 'The given data was invalid.', errors: { expires_at: ['The expires_at field must be a date-time this server can store.'] } });
  }
  const id = `wstok_${crypto.randomUUID().replaceAll('-', '')}`;
  res.status(201).json({
    id,
    name: 'svc_access',
    description: req.body.description,
    abilities: [],
    timestamp: {
      created_at: now.toISOString(),
      last_used_at: null,
      expires_at: expiresAt.toISOString(),
      expires_at_mins: Math.floor((expiresAt - now) / 60000),
      requested_at: now.toISOString(),
    },
    _embedded: [],
    _links: { self: `${req.protocol}://${req.get('host')}/api/v1/workspace/tokens/${id}` },
  });
});

app.use('/api/v1', api);

const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
  console.log(`express listening on http://127.0.0.1:${server.address().port}/api/v1`);
});
