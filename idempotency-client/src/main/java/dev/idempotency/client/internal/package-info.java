/** Implementation details of the client; not API, and may change in any release. */
package dev.idempotency.client.internal;
