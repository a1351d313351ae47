export { createRedis, type CreateRedisOptions, type Redis } from './client';
export { defineScript, type RedisScript } from './script';
