// The Redis session store; see RedisSessionStore.
