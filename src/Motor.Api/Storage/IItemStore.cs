namespace Motor.Api.Storage;

/// <summary>
/// Shared state of the API replicas: ingested items, user interactions and the token-ID table of every item. Reads on
/// the hot path go to <see cref="State"/>, the in-process copy; the store keeps it current (its own writes at once,
/// other replicas' writes through the change feed). Writes return only once they are durable.
/// </summary>
public interface IItemStore : IAsyncDisposable
{
    /// <summary>"redis" or "embedded".</summary>
    string Kind { get; }

    StoreState State { get; }

    /// <summary>Loads the persisted state into <see cref="State"/> and starts following changes.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Whether writes can be made now (readiness).</summary>
    Task<StoreHealth> CheckHealthAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Writes items all-or-nothing. An ID stored with another content hash is a conflict unless <paramref name="replace"/>;
    /// with any conflict nothing is written. Same content hash: unchanged (idempotent).
    /// </summary>
    /// <exception cref="StoreUnavailableException">The store cannot be reached; nothing was written.</exception>
    Task<ItemWriteResult> WriteItemsAsync(IReadOnlyList<StoredItem> items, bool replace, CancellationToken cancellationToken);

    /// <summary>Adds items to a user's interactions (a set); returns once durable.</summary>
    /// <exception cref="StoreUnavailableException">The store cannot be reached; nothing was written.</exception>
    Task AddInteractionsAsync(string userId, IReadOnlyList<string> itemIds, CancellationToken cancellationToken);

    /// <summary>Publishes a model's catalog token table (item ID -> token IDs) once per model version; best effort, retried after reconnects.</summary>
    Task PublishTokenTableAsync(TokenTablePublication publication, CancellationToken cancellationToken);
}

public sealed record StoreHealth(bool Healthy, string Description);

public enum ItemWriteOutcome
{
    Created,
    Unchanged,
    Replaced,
    Conflict,
}

/// <summary>Per item (request order): the outcome and the item as stored now (the existing one for Unchanged and Conflict).</summary>
public sealed record ItemWriteResult(IReadOnlyList<ItemWriteOutcome> Outcomes, IReadOnlyList<StoredItem> Items)
{
    public bool HasConflict => Outcomes.Contains(ItemWriteOutcome.Conflict);
}

/// <summary>A catalog's token table for publication: item i of <paramref name="ItemIds"/> has <paramref name="TokensPerItem"/> tokens from <paramref name="Tokens"/>.</summary>
public sealed record TokenTablePublication(string ModelVersion, IReadOnlyList<string> ItemIds, int TokensPerItem, Func<int, byte[]> TokensOf);

/// <summary>The configured store cannot be reached; the request can be retried later (HTTP 503 with Retry-After).</summary>
public sealed class StoreUnavailableException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>The store cannot be used by this process at all (held by another, or damaged); the service refuses to start.</summary>
public abstract class StoreStartException(string message) : Exception(message);

/// <summary>Another process holds the embedded store file.</summary>
public sealed class StoreLockedException(string message) : StoreStartException(message);

/// <summary>The embedded store file is damaged where it cannot be cut safely; the message names the repair command.</summary>
public sealed class StoreDamagedException(string message) : StoreStartException(message);
