using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Motor.Api.Storage;

/// <summary>
/// The store without Redis: the in-process copy plus an append-only file (<see cref="StoreLogFile"/>). Every write is
/// appended and fsynced before it is acknowledged; on start the file is replayed. One process per file: the file is
/// held with an exclusive lock (flock) and a second process refuses to start, naming the holder. An unreadable tail
/// after the last valid record (a write interrupted before it was acknowledged, or what a crash leaves: zeros, garbage)
/// is cut, its bytes kept in a side file and the cut logged, in the spirit of Redis's aof-load-truncated; damage
/// followed by valid records is refused, nothing changed, with the repair command (<see cref="StoreRepair"/>).
/// </summary>
public sealed class EmbeddedItemStore : IItemStore
{
    private readonly string _path;
    private readonly ILogger<EmbeddedItemStore> _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private FileStream? _file;

    public EmbeddedItemStore(string path, ILogger<EmbeddedItemStore> logger)
    {
        _path = Path.GetFullPath(path);
        _logger = logger;
    }

    public string Kind => "embedded";

    public StoreState State { get; } = new();

    public string FilePath => _path;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        FileStream file = StoreFileLock.OpenExclusive(_path);
        try
        {
            (int items, int interactions) = Replay(file);
            _logger.LogInformation("Embedded store {StorePath}: replayed {ItemRecords} item and {InteractionRecords} interaction records", _path, items, interactions);
        }
        catch
        {
            file.Dispose();
            throw;
        }

        StoreFileLock.WriteOwner(_path);
        _file = file;
        return Task.CompletedTask;
    }

    public Task<StoreHealth> CheckHealthAsync(CancellationToken cancellationToken)
        => Task.FromResult(_file is null
            ? new StoreHealth(false, "embedded store is not open")
            : new StoreHealth(true, "embedded store open, writes are durable before they are acknowledged"));

    public async Task<ItemWriteResult> WriteItemsAsync(IReadOnlyList<StoredItem> items, bool replace, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            // Decided under the write lock, so check and write are atomic for this single-writer store.
            var outcomes = new ItemWriteOutcome[items.Count];
            var stored = new StoredItem[items.Count];
            var toWrite = new List<StoredItem>();
            for (int index = 0; index < items.Count; index++)
            {
                State.TryGetItem(items[index].ItemId, out StoredItem? existing);
                outcomes[index] = StoreState.Decide(existing, items[index], replace);
                stored[index] = outcomes[index] is ItemWriteOutcome.Created or ItemWriteOutcome.Replaced ? items[index] : existing!;
                if (outcomes[index] is ItemWriteOutcome.Created or ItemWriteOutcome.Replaced)
                {
                    toWrite.Add(items[index]);
                }
            }

            var result = new ItemWriteResult(outcomes, stored);
            if (result.HasConflict || toWrite.Count == 0)
            {
                return result;
            }

            Append(toWrite.Select(item => new StoreRecordDocument { Kind = "item", Item = StoredItemSerializer.ToDocument(item) }));
            State.ApplyItems(toWrite);
            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task AddInteractionsAsync(string userId, IReadOnlyList<string> itemIds, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            Append([new StoreRecordDocument { Kind = "interactions", UserId = userId, ItemIds = [.. itemIds] }]);
            State.ApplyInteractions(userId, itemIds);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The embedded store serves one process: the bundle itself is the token table, nothing to publish.</summary>
    public Task PublishTokenTableAsync(TokenTablePublication publication, CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync()
    {
        _file?.Dispose();
        _file = null;
        _writeLock.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Append(IEnumerable<StoreRecordDocument> records)
    {
        FileStream file = _file ?? throw new StoreUnavailableException("the embedded store is not open");
        long start = file.Length;
        try
        {
            file.Position = start;
            foreach (StoreRecordDocument record in records)
            {
                file.Write(StoreLogFile.Encode(JsonSerializer.SerializeToUtf8Bytes(record, StoreJsonContext.Default.StoreRecordDocument)));
            }

            // Durable before acknowledged: flush the stream buffer and fsync.
            file.Flush(flushToDisk: true);
        }
        catch (IOException exception)
        {
            // Leave no half-written records behind a failed write; the caller reports 503.
            TryTruncate(file, start);
            // Callers see no server path; the log has the file and the reason.
            _logger.LogError("Embedded store {StorePath}: write failed, nothing acknowledged: {Reason}", _path, exception.Message);
            throw new StoreUnavailableException("the embedded store could not write to its file", exception);
        }
    }

    private void TryTruncate(FileStream file, long length)
    {
        try
        {
            file.SetLength(length);
            file.Flush(flushToDisk: true);
        }
        catch (IOException exception)
        {
            _logger.LogError(exception, "Embedded store {StorePath}: could not cut off a failed write at offset {Offset}", _path, length);
        }
    }

    private (int Items, int Interactions) Replay(FileStream file)
    {
        int itemRecords = 0;
        int interactionRecords = 0;
        long length = file.Length;
        long offset = 0;
        var items = new List<StoredItem>();
        while (offset < length)
        {
            byte[]? payload = StoreLogFile.TryRead(file, offset, out string? problem);
            if (payload is null)
            {
                long next = StoreLogFile.FindNextValid(file, offset);
                if (next >= 0)
                {
                    throw new StoreDamagedException(
                        $"{_path}: offset {offset}: {problem}, and valid records follow at offset {next}: damage inside the file, not a torn tail; nothing was changed. Repair it with the service stopped: dotnet Motor.Api.dll {StoreRepair.Command} {_path}");
                }

                CutTail(file, offset, problem!);
                break;
            }

            string source = $"{_path}: offset {offset}";
            StoreRecordDocument? record;
            try
            {
                record = JsonSerializer.Deserialize(payload, StoreJsonContext.Default.StoreRecordDocument);
            }
            catch (JsonException exception)
            {
                throw new StoreDamagedException($"{source}: the record's checksum matches but it is not valid JSON ({exception.Message})");
            }

            switch (record?.Kind)
            {
                case "item":
                    items.Add(StoredItemSerializer.FromDocument(record.Item, source));
                    itemRecords++;
                    break;
                case "interactions" when record.UserId is not null && record.ItemIds is not null:
                    State.ApplyInteractions(record.UserId, record.ItemIds);
                    interactionRecords++;
                    break;
                default:
                    throw new StoreDamagedException($"{source}: unknown record kind '{record?.Kind}'");
            }

            offset += StoreLogFile.HeaderBytes + payload.Length;
        }

        State.ApplyItems(items);
        file.Position = file.Length;
        return (itemRecords, interactionRecords);
    }

    /// <summary>Nothing valid follows <paramref name="offset"/>: keep the bytes in a side file, then cut the file there.</summary>
    private void CutTail(FileStream file, long offset, string problem)
    {
        long bytes = file.Length - offset;
        string sideFile = $"{_path}.cut-{DateTime.UtcNow:yyyyMMddTHHmmssfffZ}-at-{offset}";
        using (var side = new FileStream(sideFile, FileMode.CreateNew, FileAccess.Write))
        {
            file.Position = offset;
            file.CopyTo(side);
            side.Flush(flushToDisk: true);
        }

        file.SetLength(offset);
        file.Flush(flushToDisk: true);
        _logger.LogWarning(
            "Embedded store {StorePath}: cut {CutBytes} bytes at offset {Offset} ({Problem}, no valid record after it: a write interrupted before it was acknowledged, or a crash's leftovers); the bytes are kept in {SideFile}",
            _path, bytes, offset, problem, sideFile);
    }
}
