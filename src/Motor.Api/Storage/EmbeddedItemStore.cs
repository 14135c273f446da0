using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Motor.Api.Storage;

/// <summary>
/// The store without Redis: the in-process copy plus an append-only file. Every write is appended and fsynced before it
/// is acknowledged; on start the file is replayed. A torn last record (the process died while appending) is cut off with
/// a warning: it was never acknowledged. Damage before the last record is an error naming the file and offset.
/// </summary>
/// <remarks>Record layout: int32 payload length, 8 bytes of SHA-256(payload), UTF-8 JSON payload (little-endian).</remarks>
public sealed class EmbeddedItemStore : IItemStore
{
    private const int HeaderBytes = sizeof(int) + ChecksumBytes;
    private const int ChecksumBytes = 8;
    private const int MaxRecordBytes = 256 * 1024 * 1024;

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
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        FileStream file;
        try
        {
            file = new FileStream(_path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 1 << 16);
        }
        catch (IOException exception)
        {
            throw new InvalidOperationException($"{_path}: cannot open the embedded store file ({exception.Message}); is another instance using it?", exception);
        }

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
        FileStream file = _file ?? throw new StoreUnavailableException($"embedded store {_path} is not open");
        long start = file.Length;
        try
        {
            file.Position = start;
            Span<byte> header = stackalloc byte[HeaderBytes];
            foreach (StoreRecordDocument record in records)
            {
                byte[] payload = JsonSerializer.SerializeToUtf8Bytes(record, StoreJsonContext.Default.StoreRecordDocument);
                BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
                SHA256.HashData(payload).AsSpan(0, ChecksumBytes).CopyTo(header[sizeof(int)..]);
                file.Write(header);
                file.Write(payload);
            }

            // Durable before acknowledged: flush the stream buffer and fsync.
            file.Flush(flushToDisk: true);
        }
        catch (IOException exception)
        {
            // Leave no half-written records behind a failed write; the caller reports 503.
            TryTruncate(file, start);
            throw new StoreUnavailableException($"embedded store {_path}: write failed ({exception.Message})", exception);
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
        byte[] header = new byte[HeaderBytes];
        var items = new List<StoredItem>();
        file.Position = 0;
        while (offset < length)
        {
            if (length - offset < HeaderBytes)
            {
                CutTornTail(file, offset, "an incomplete record header");
                break;
            }

            file.ReadExactly(header);
            int payloadLength = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (payloadLength <= 0 || payloadLength > MaxRecordBytes)
            {
                if (offset + HeaderBytes + Math.Max(payloadLength, 0) >= length)
                {
                    CutTornTail(file, offset, $"a record length of {payloadLength}");
                    break;
                }

                throw new InvalidDataException($"{_path}: offset {offset}: record length {payloadLength} is not valid (the file is damaged)");
            }

            if (offset + HeaderBytes + payloadLength > length)
            {
                CutTornTail(file, offset, $"a record of {payloadLength} bytes with only {length - offset - HeaderBytes} present");
                break;
            }

            byte[] payload = new byte[payloadLength];
            file.ReadExactly(payload);
            bool last = offset + HeaderBytes + payloadLength == length;
            if (!SHA256.HashData(payload).AsSpan(0, ChecksumBytes).SequenceEqual(header.AsSpan(sizeof(int))))
            {
                if (last)
                {
                    CutTornTail(file, offset, "a last record whose checksum does not match");
                    break;
                }

                throw new InvalidDataException($"{_path}: offset {offset}: record checksum does not match (the file is damaged)");
            }

            StoreRecordDocument? record;
            try
            {
                record = JsonSerializer.Deserialize(payload, StoreJsonContext.Default.StoreRecordDocument);
            }
            catch (JsonException exception)
            {
                throw new InvalidDataException($"{_path}: offset {offset}: record is not valid JSON ({exception.Message})", exception);
            }

            string source = $"{_path}: offset {offset}";
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
                    throw new InvalidDataException($"{source}: unknown record kind '{record?.Kind}'");
            }

            offset += HeaderBytes + payloadLength;
        }

        State.ApplyItems(items);
        file.Position = file.Length;
        return (itemRecords, interactionRecords);
    }

    private void CutTornTail(FileStream file, long offset, string what)
    {
        _logger.LogWarning("Embedded store {StorePath}: {TornRecord} at offset {Offset} (a write interrupted before it was acknowledged); cutting the file there", _path, what, offset);
        file.SetLength(offset);
        file.Flush(flushToDisk: true);
    }
}
