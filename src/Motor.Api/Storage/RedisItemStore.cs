using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Motor.Api.Storage;

/// <summary>
/// The store shared by API replicas. Keys (prefix p): <c>p:items</c> hash item ID -> item JSON; <c>p:changes</c>
/// stream, one entry per change (kind, id, hash), trimmed to about 100,000 entries; <c>p:changes:notify</c> pub/sub
/// channel that wakes followers at once; <c>p:interactions:{user}</c> set of item IDs and <c>p:interaction-users</c>;
/// <c>p:tokens:{version}</c> hash item ID -> token bytes (every catalog item's tokens, published once per version).
/// Each replica follows the stream to update its in-process copy; requests never wait on Redis for reads.
/// </summary>
public sealed class RedisItemStore : IItemStore
{
    private const int FeedBatch = 1000;
    private const int StreamMaxLength = 100_000;
    private const int WriteAttempts = 5;

    /// <summary>
    /// KEYS: items hash, change stream. ARGV: notify channel, stream max length, n, then per item: id, existed (0/1),
    /// the value read, the new value, its content hash. Writes all items only if none changed since it was read
    /// (returns 0), else writes nothing and returns the 1-based position of the first changed item.
    /// </summary>
    private const string WriteItemsScript = """
        local n = tonumber(ARGV[3])
        for i = 0, n - 1 do
          local base = 4 + i * 5
          local current = redis.call('HGET', KEYS[1], ARGV[base])
          if ARGV[base + 1] == '0' then
            if current then return i + 1 end
          elseif current ~= ARGV[base + 2] then
            return i + 1
          end
        end
        for i = 0, n - 1 do
          local base = 4 + i * 5
          redis.call('HSET', KEYS[1], ARGV[base], ARGV[base + 3])
          redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'kind', 'item', 'id', ARGV[base], 'hash', ARGV[base + 4])
        end
        redis.call('PUBLISH', ARGV[1], 'items')
        return 0
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly ILogger<RedisItemStore> _logger;
    private readonly TimeSpan _pollInterval;
    private readonly RedisKey _itemsKey;
    private readonly RedisKey _streamKey;
    private readonly RedisKey _usersKey;
    private readonly RedisChannel _notifyChannel;
    private readonly string _prefix;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _publicationLock = new();
    private TokenTablePublication? _publication;
    private bool _publicationDone;
    private Task? _follower;
    private RedisValue _cursor = "0-0";
    private volatile bool _needsResync = true;
    private volatile bool _feedHealthy;

    public RedisItemStore(IConnectionMultiplexer redis, string keyPrefix, TimeSpan pollInterval, ILogger<RedisItemStore> logger)
    {
        _redis = redis;
        _logger = logger;
        _pollInterval = pollInterval;
        _prefix = keyPrefix;
        _itemsKey = $"{keyPrefix}:items";
        _streamKey = $"{keyPrefix}:changes";
        _usersKey = $"{keyPrefix}:interaction-users";
        _notifyChannel = RedisChannel.Literal($"{keyPrefix}:changes:notify");
    }

    public string Kind => "redis";

    public StoreState State { get; } = new();

    private IDatabase Database => _redis.GetDatabase();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _redis.ConnectionRestored += (_, _) =>
        {
            _needsResync = true;
            Wake();
        };
        try
        {
            await _redis.GetSubscriber().SubscribeAsync(_notifyChannel, (_, _) => Wake());
        }
        catch (RedisException exception)
        {
            // The subscription is restored by the multiplexer on reconnect; polling covers the gap.
            _logger.LogWarning("Redis change notifications not subscribed yet ({Reason}); following by polling", exception.Message);
        }

        try
        {
            await ResyncAsync();
            _needsResync = false;
            _feedHealthy = true;
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // Serve what the bundle has; readiness reports the store, and the follower retries until Redis answers.
            _logger.LogWarning("Redis not reachable at start ({Reason}); serving without shared state until it is", exception.Message);
        }

        _follower = Task.Run(() => FollowAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task<StoreHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        if (!_redis.IsConnected)
        {
            return new StoreHealth(false, "Redis is not connected");
        }

        try
        {
            TimeSpan latency = await Database.PingAsync();
            return _feedHealthy
                ? new StoreHealth(true, $"Redis ping {latency.TotalMilliseconds:0.0} ms")
                : new StoreHealth(false, "Redis answers, the change feed is catching up");
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            return new StoreHealth(false, $"Redis ping failed: {exception.Message}");
        }
    }

    public async Task<ItemWriteResult> WriteItemsAsync(IReadOnlyList<StoredItem> items, bool replace, CancellationToken cancellationToken)
    {
        EnsureConnected();
        RedisValue[] ids = [.. items.Select(item => (RedisValue)item.ItemId)];
        string[] serialized = [.. items.Select(StoredItemSerializer.Serialize)];
        try
        {
            for (int attempt = 0; attempt < WriteAttempts; attempt++)
            {
                RedisValue[] existing = await Database.HashGetAsync(_itemsKey, ids);
                var outcomes = new ItemWriteOutcome[items.Count];
                var stored = new StoredItem[items.Count];
                var toWrite = new List<int>();
                for (int index = 0; index < items.Count; index++)
                {
                    StoredItem? current = existing[index].IsNull ? null : StoredItemSerializer.Deserialize((string)existing[index]!, $"Redis {_itemsKey} '{items[index].ItemId}'");
                    outcomes[index] = StoreState.Decide(current, items[index], replace);
                    bool write = outcomes[index] is ItemWriteOutcome.Created or ItemWriteOutcome.Replaced;
                    stored[index] = write ? items[index] : current!;
                    if (write)
                    {
                        toWrite.Add(index);
                    }
                }

                var result = new ItemWriteResult(outcomes, stored);
                if (result.HasConflict || toWrite.Count == 0)
                {
                    // Unchanged items may still be missing locally (e.g. written by a replica whose feed entry is pending).
                    State.ApplyItems(stored);
                    return result;
                }

                // Per-item optimistic concurrency in one script: only a change of the same item between read and
                // write retries (MULTI/WATCH would watch the whole hash, so writers of different items would collide).
                var arguments = new List<RedisValue> { _notifyChannel.ToString(), StreamMaxLength, toWrite.Count };
                foreach (int index in toWrite)
                {
                    arguments.Add(ids[index]);
                    arguments.Add(existing[index].IsNull ? 0 : 1);
                    arguments.Add(existing[index].IsNull ? RedisValue.EmptyString : existing[index]);
                    arguments.Add(serialized[index]);
                    arguments.Add(items[index].ContentHash);
                }

                RedisResult changed = await Database.ScriptEvaluateAsync(WriteItemsScript, [_itemsKey, _streamKey], [.. arguments]);
                if ((long)changed == 0)
                {
                    State.ApplyItems(toWrite.Select(index => items[index]));
                    return result;
                }

                // Another writer changed one of these items meanwhile: decide again on what is stored now.
            }
        }
        catch (Exception exception) when (exception is RedisConnectionException or RedisTimeoutException or TimeoutException)
        {
            throw Unavailable(exception);
        }

        throw new StoreUnavailableException($"the same items were changed by other writers {WriteAttempts} times while this write was prepared; retry");
    }

    public async Task AddInteractionsAsync(string userId, IReadOnlyList<string> itemIds, CancellationToken cancellationToken)
    {
        EnsureConnected();
        try
        {
            ITransaction transaction = Database.CreateTransaction();
            _ = transaction.SetAddAsync(InteractionsKey(userId), [.. itemIds.Select(id => (RedisValue)id)]);
            _ = transaction.SetAddAsync(_usersKey, userId);
            _ = transaction.StreamAddAsync(_streamKey, [new("kind", "interactions"), new("id", userId)], maxLength: StreamMaxLength, useApproximateMaxLength: true);
            _ = transaction.PublishAsync(_notifyChannel, "interactions");
            await transaction.ExecuteAsync();
        }
        catch (Exception exception) when (exception is RedisConnectionException or RedisTimeoutException or TimeoutException)
        {
            throw Unavailable(exception);
        }

        State.ApplyInteractions(userId, itemIds);
    }

    public async Task PublishTokenTableAsync(TokenTablePublication publication, CancellationToken cancellationToken)
    {
        lock (_publicationLock)
        {
            _publication = publication;
            _publicationDone = false;
        }

        try
        {
            await PublishPendingTokenTableAsync();
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            _logger.LogWarning("Token table of model {ModelVersion} not published yet ({Reason}); retried when Redis is back", publication.ModelVersion, exception.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        Wake();
        if (_follower is not null)
        {
            try
            {
                await _follower;
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stopping.Dispose();
    }

    private RedisKey InteractionsKey(string userId) => $"{_prefix}:interactions:{userId}";

    private void EnsureConnected()
    {
        if (!_redis.IsConnected)
        {
            throw new StoreUnavailableException("Redis is not connected");
        }
    }

    private static StoreUnavailableException Unavailable(Exception exception)
        => new($"Redis is not reachable ({exception.GetType().Name}); nothing was written", exception);

    private void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0)
            {
                _wake.Release();
            }
        }
        catch (Exception exception) when (exception is SemaphoreFullException or ObjectDisposedException)
        {
            // Already awake, or shutting down.
        }
    }

    private async Task FollowAsync(CancellationToken stopping)
    {
        bool reportedOutage = false;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (_needsResync)
                {
                    _needsResync = false;
                    await ResyncAsync();
                }

                int read = await ReadFeedAsync();
                _feedHealthy = true;
                if (reportedOutage)
                {
                    _logger.LogInformation("Redis change feed following again from {FeedCursor}", (string?)_cursor);
                    reportedOutage = false;
                }

                if (read < FeedBatch)
                {
                    await _wake.WaitAsync(_pollInterval, stopping);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                _feedHealthy = false;
                _needsResync = true;
                if (!reportedOutage)
                {
                    _logger.LogWarning("Redis change feed interrupted ({Reason}); serving the in-process copy and retrying", exception.Message);
                    reportedOutage = true;
                }

                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250), stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Full load: cursor first, then the hashes, so no change between the two is lost (re-applying is a no-op).</summary>
    private async Task ResyncAsync()
    {
        IDatabase database = Database;
        StreamEntry[] last = await database.StreamRangeAsync(_streamKey, "-", "+", count: 1, messageOrder: Order.Descending);
        RedisValue cursor = last.Length > 0 ? last[0].Id : (RedisValue)"0-0";

        var items = new List<StoredItem>();
        await foreach (HashEntry entry in database.HashScanAsync(_itemsKey, pageSize: 1000))
        {
            items.Add(StoredItemSerializer.Deserialize((string)entry.Value!, $"Redis {_itemsKey} '{entry.Name}'"));
        }

        State.ApplyItems(items);
        RedisValue[] users = await database.SetMembersAsync(_usersKey);
        foreach (RedisValue user in users)
        {
            await ApplyUserInteractionsAsync(database, (string)user!);
        }

        _cursor = cursor;
        _logger.LogInformation("Redis store synchronised: {IngestedItems} ingested items, {InteractionUsers} users with interactions", State.ItemCount, State.UserCount);
        await PublishPendingTokenTableAsync();
    }

    private async Task<int> ReadFeedAsync()
    {
        IDatabase database = Database;
        StreamEntry[] entries = await database.StreamReadAsync(_streamKey, _cursor, FeedBatch);
        if (entries.Length == 0)
        {
            return 0;
        }

        var changedItems = new List<RedisValue>();
        var changedUsers = new HashSet<string>(StringComparer.Ordinal);
        foreach (StreamEntry entry in entries)
        {
            string? kind = entry["kind"];
            string? id = entry["id"];
            if (id is null)
            {
                continue;
            }

            if (kind == "item")
            {
                string? hash = entry["hash"];
                if (!State.TryGetItem(id, out StoredItem? known) || known.ContentHash != hash)
                {
                    changedItems.Add(id);
                }
            }
            else if (kind == "interactions")
            {
                changedUsers.Add(id);
            }
        }

        if (changedItems.Count > 0)
        {
            RedisValue[] values = await database.HashGetAsync(_itemsKey, [.. changedItems]);
            var items = new List<StoredItem>(values.Length);
            for (int index = 0; index < values.Length; index++)
            {
                if (!values[index].IsNull)
                {
                    items.Add(StoredItemSerializer.Deserialize((string)values[index]!, $"Redis {_itemsKey} '{changedItems[index]}'"));
                }
            }

            State.ApplyItems(items);
        }

        foreach (string user in changedUsers)
        {
            await ApplyUserInteractionsAsync(database, user);
        }

        _cursor = entries[^1].Id;
        return entries.Length;
    }

    private async Task ApplyUserInteractionsAsync(IDatabase database, string userId)
    {
        RedisValue[] members = await database.SetMembersAsync(InteractionsKey(userId));
        State.ApplyInteractions(userId, members.Select(member => (string)member!));
    }

    private async Task PublishPendingTokenTableAsync()
    {
        TokenTablePublication? publication;
        lock (_publicationLock)
        {
            publication = _publicationDone ? null : _publication;
        }

        if (publication is null)
        {
            return;
        }

        IDatabase database = Database;
        RedisKey tableKey = $"{_prefix}:tokens:{publication.ModelVersion}";
        RedisKey completeKey = $"{_prefix}:tokens:{publication.ModelVersion}:complete";
        if (!await database.KeyExistsAsync(completeKey))
        {
            const int chunk = 1000;
            for (int start = 0; start < publication.ItemIds.Count; start += chunk)
            {
                int end = Math.Min(start + chunk, publication.ItemIds.Count);
                var fields = new HashEntry[end - start];
                for (int index = start; index < end; index++)
                {
                    fields[index - start] = new HashEntry(publication.ItemIds[index], publication.TokensOf(index));
                }

                await database.HashSetAsync(tableKey, fields);
            }

            await database.StringSetAsync(completeKey, publication.ItemIds.Count);
            _logger.LogInformation("Published the token table of model {ModelVersion} to Redis: {ItemCount} items x {TokensPerItem} tokens", publication.ModelVersion, publication.ItemIds.Count, publication.TokensPerItem);
        }

        lock (_publicationLock)
        {
            if (ReferenceEquals(_publication, publication))
            {
                _publicationDone = true;
            }
        }
    }
}
