/// The Lua scripts that make the store's writes atomic. Keys and arguments are described at the
/// top of each; every script is run with `EVALSHA`, falling back to `EVAL`.
extension RedisSessionStore {
    enum Scripts {
        /// Compare-and-set save, fenced when a token is given.
        /// KEYS: state, token counter. ARGV: version, state JSON, state TTL ms, fence token or "",
        /// counter TTL ms. Returns {"saved", 0}, {"version", stored version} or {"fence", newest token}.
        static let save = RedisScript(#"""
            if ARGV[4] ~= '' then
              local newest = redis.call('GET', KEYS[2])
              if not newest then
                redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
              elseif tonumber(newest) ~= tonumber(ARGV[4]) then
                return {'fence', tonumber(newest)}
              else
                redis.call('PEXPIRE', KEYS[2], ARGV[5])
              end
            end
            local stored = redis.call('GET', KEYS[1])
            if stored then
              local ok, decoded = pcall(cjson.decode, stored)
              local version = ok and type(decoded) == 'table' and tonumber(decoded.version)
              if version and version >= tonumber(ARGV[1]) then
                return {'version', version}
              end
            end
            redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
            return {'saved', 0}
            """#)

        /// Takes the session over. KEYS: lease, token counter. ARGV: owner, lease TTL ms, counter
        /// TTL ms, takeover channel prefix, session key. Returns {token, previous owner or false,
        /// how many listeners the takeover notice reached}.
        static let acquire = RedisScript(#"""
            local previous = redis.call('HGET', KEYS[1], 'owner')
            local token = redis.call('INCR', KEYS[2])
            redis.call('PEXPIRE', KEYS[2], ARGV[3])
            redis.call('DEL', KEYS[1])
            redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token)
            redis.call('PEXPIRE', KEYS[1], ARGV[2])
            local listeners = 0
            if previous and previous ~= ARGV[1] then
              listeners = redis.call('PUBLISH', ARGV[4] .. previous, ARGV[5])
            end
            return {token, previous, listeners}
            """#)

        /// Extends a lease, or takes a lapsed one back if nobody acquired the key since.
        /// KEYS: lease, token counter. ARGV: owner, token, lease TTL ms, counter TTL ms.
        /// Returns {"renewed", nil} or {"lost", holder or nil}.
        static let renew = RedisScript(#"""
            local owner = redis.call('HGET', KEYS[1], 'owner')
            if owner then
              local token = redis.call('HGET', KEYS[1], 'token')
              if owner == ARGV[1] and tonumber(token) == tonumber(ARGV[2]) then
                redis.call('PEXPIRE', KEYS[1], ARGV[3])
                redis.call('PEXPIRE', KEYS[2], ARGV[4])
                return {'renewed', false}
              end
              return {'lost', owner}
            end
            local newest = redis.call('GET', KEYS[2])
            if newest and tonumber(newest) ~= tonumber(ARGV[2]) then
              return {'lost', false}
            end
            redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
            redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', ARGV[2])
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            return {'renewed', false}
            """#)

        /// Deletes a lease if it is still the given one. KEYS: lease. ARGV: owner, token.
        /// Returns 1 when released, 0 otherwise.
        static let release = RedisScript(#"""
            if redis.call('HGET', KEYS[1], 'owner') == ARGV[1]
              and tonumber(redis.call('HGET', KEYS[1], 'token')) == tonumber(ARGV[2]) then
              redis.call('DEL', KEYS[1])
              return 1
            end
            return 0
            """#)
    }
}
