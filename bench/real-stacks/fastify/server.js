// Create a Service Access Token, written the usual way with Fastify 5 and its built-in ajv.
// Run: TOKEN=... SERVICE=svc_x PORT=3000 node server.js   (API root: /api/v1)
// Framework defaults are kept on purpose: Fastify's ajv options (coerceTypes, removeAdditional,
// ajv-formats), its JSON parser and prototype-poisoning guard, its 404 and error answers.
'use strict';

const crypto = require('node:crypto');
const fastify = require('fastify')({ logger: false });

const API_TOKEN = process.env.TOKEN;
const SERVICES = new Set([process.env.SERVICE || 'svc_x']);
const DEFAULT_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

const dateTime = { type: 'string', format: 'date-time' };

const createSchema = {
  params: {
    type: 'object',
    properties: { service: { type: 'string' } },
  },
  body: {
    type: 'object',
    required: ['name', 'description'],
    properties: {
      name: { type: 'string', maxLength: 55 },
      description: { type: 'string' },
      expires_at: { type: ['string', 'null'], format: 'date-time' },
    },
  },
  response: {
    201: {
      type: 'object',
      required: ['id', 'name', 'description', 'abilities', 'timestamp', '_embedded'],
      properties: {
        id: { type: 'string' },
        name: { type: 'string' },
        description: { type: 'string' },
        abilities: { type: 'array', items: { type: 'string' } },
        timestamp: {
          type: 'object',
          properties: {
            created_at: dateTime,
            last_used_at: { type: ['string', 'null'], format: 'date-time' },
            expires_at: { type: ['string', 'null'], format: 'date-time' },
            expires_at_mins: { type: ['integer', 'null'] },
            requested_at: dateTime,
          },
        },
        _embedded: { type: 'array', items: { type: 'string' } },
        _links: { type: 'object', properties: { self: { type: 'string' } } },
      },
    },
  },
};

function authenticate(request, reply, done) {
  const header = request.headers.authorization || '';
  const [scheme, token] = header.split(' ');
  const ok =
    scheme && scheme.toLowerCase() === 'bearer' && token &&
    token.length === API_TOKEN.length &&
    crypto.timingSafeEqual(Buffer.from(token), Buffer.from(API_TOKEN));
  if (!ok) {
    reply.code(401).header('WWW-Authenticate', 'Bearer').send({ message: 'Unauthenticated.' });
    return;
  }
  done();
}

fastify.register(async (api) => {
  api.post('/workspace/services/:service/tokens/access', {
    schema: createSchema,
    onRequest: authenticate,
  }, async (request, reply) => {
    if (!SERVICES.has(request.params.service)) {
      return reply.code(404).send({ message: `Service ${request.params.service} not found.` });
    }
    const now = new Date();
    const body = request.body;
    const expiresAt = body.expires_at ? new Date(body.expires_at) : new Date(now.getTime() + DEFAULT_LIFETIME_MS);
    // A Date cannot hold everything the format admits (a leap second, a year past 9999 once in UTC):
    // refuse what it cannot store rather than answer a broken timestamp.
    if (Number.isNaN(expiresAt.getTime()) || expiresAt.getUTCFullYear() > 9999) {
      return reply.code(422).send({ message: 'The given data was invalid.', errors: { expires_at: ['The expires_at field must be a date-time this server can store.'] } });
    }
    const id = `wstok_${crypto.randomUUID().replaceAll('-', '')}`;
    return reply.code(201).send({
      id,
      name: 'svc_access',
      description: body.description,
      abilities: [],
      timestamp: {
        created_at: now.toISOString(),
        last_used_at: null,
        expires_at: expiresAt.toISOString(),
        expires_at_mins: Math.floor((expiresAt - now) / 60000),
        requested_at: now.toISOString(),
      },
      _embedded: [],
      _links: { self: `${request.protocol}://${request.host}/api/v1/workspace/tokens/${id}` },
    });
  });
}, { prefix: '/api/v1' });

fastify.listen({ host: '127.0.0.1', port: Number(process.env.PORT || 3000) }).then((address) => {
  console.log(`fastify listening on ${address}/api/v1`);
});
