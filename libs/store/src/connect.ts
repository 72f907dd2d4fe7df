import mongoose, { type Connection } from 'mongoose';

// Filters built from request data can never carry operators; the store's own operators are marked trusted().
mongoose.set('sanitizeFilter', true);
mongoose.set('strictQuery', true);

export type StoreConnection = Connection;

/** Opens a connection to MongoDB (or a wire-compatible store). Multi-document transactions are never used. */
export function connectStore(url: string, appName: string): StoreConnection {
  return mongoose.createConnection(url, {
    appName,
    serverSelectionTimeoutMS: 5000,
    maxPoolSize: 20,
    autoIndex: false,
    autoCreate: true,
  });
}
