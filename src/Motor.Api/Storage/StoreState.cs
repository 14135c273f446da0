using System.Collections.Concurrent;

namespace Motor.Api.Storage;

/// <summary>
/// The in-process copy of the store: what the hot path reads. Applying is idempotent (an item with the content hash
/// already held is ignored), so a replica's own writes and the same writes arriving through the change feed agree.
/// </summary>
public sealed class StoreState
{
    private readonly ConcurrentDictionary<string, StoredItem> _items = new(StringComparer.Ordinal);

    // Copy-on-write sets: a reader keeps a set that is never mutated after publication.
    private readonly ConcurrentDictionary<string, HashSet<string>> _interactions = new(StringComparer.Ordinal);
    private readonly Lock _applyLock = new();

    /// <summary>Raised after items were added or replaced, on the thread that applied them, in application order.</summary>
    public event Action<IReadOnlyList<StoredItem>>? ItemsApplied;

    public int ItemCount => _items.Count;

    public ICollection<StoredItem> Items => _items.Values;

    public bool TryGetItem(string itemId, out StoredItem item) => _items.TryGetValue(itemId, out item!);

    public IReadOnlySet<string> GetInteractions(string userId)
        => _interactions.TryGetValue(userId, out HashSet<string>? items) ? items : s_empty;

    public bool HasInteractions(string userId) => _interactions.ContainsKey(userId);

    public int UserCount => _interactions.Count;

    private static readonly HashSet<string> s_empty = [];

    /// <summary>Applies items; returns those that were new or changed (and raises <see cref="ItemsApplied"/> with them).</summary>
    public IReadOnlyList<StoredItem> ApplyItems(IEnumerable<StoredItem> items)
    {
        List<StoredItem> changed = [];
        lock (_applyLock)
        {
            foreach (StoredItem item in items)
            {
                if (_items.TryGetValue(item.ItemId, out StoredItem? existing) && existing.ContentHash == item.ContentHash)
                {
                    continue;
                }

                _items[item.ItemId] = item;
                changed.Add(item);
            }

            // Inside the lock so that listeners see changes in the order they were applied.
            if (changed.Count > 0)
            {
                ItemsApplied?.Invoke(changed);
            }
        }

        return changed;
    }

    public void ApplyInteractions(string userId, IEnumerable<string> itemIds)
    {
        _interactions.AddOrUpdate(
            userId,
            static (_, added) => new HashSet<string>(added, StringComparer.Ordinal),
            static (_, existing, added) =>
            {
                var copy = new HashSet<string>(existing, StringComparer.Ordinal);
                copy.UnionWith(added);
                return copy;
            },
            itemIds);
    }

    /// <summary>Outcome of writing <paramref name="item"/> over the current copy (used by both stores before writing).</summary>
    public static ItemWriteOutcome Decide(StoredItem? existing, StoredItem item, bool replace)
        => existing is null ? ItemWriteOutcome.Created
            : existing.ContentHash == item.ContentHash ? ItemWriteOutcome.Unchanged
            : replace ? ItemWriteOutcome.Replaced
            : ItemWriteOutcome.Conflict;
}
