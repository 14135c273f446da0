using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Motor.Core.Search;

/// <summary>
/// A fixed number of encoded item rows in one pinned, 64-byte aligned buffer (rows never straddle a chunk, so a row is
/// one contiguous, cache-line aligned run of bytes). Rows below the published count are never written again: a
/// replacement copies the chunk (copy-on-write), which is what keeps concurrent searches from seeing a torn row.
/// </summary>
internal sealed unsafe class VectorChunk
{
    private const int Alignment = 64;

    private readonly byte[] _buffer;

    public VectorChunk(int rowCapacity, int rowBytes, bool hasScales)
    {
        RowCapacity = rowCapacity;
        RowBytes = rowBytes;
        // Pinned (POH) so the aligned offset computed here stays valid for the buffer's lifetime.
        _buffer = GC.AllocateUninitializedArray<byte>(rowCapacity * rowBytes + Alignment, pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer));
        Offset = (int)((Alignment - (address & (Alignment - 1))) & (Alignment - 1));
        Scales = hasScales ? new float[rowCapacity] : null;
    }

    public int RowCapacity { get; }

    public int RowBytes { get; }

    /// <summary>Per-row dequantization scale (int8 storage only).</summary>
    public float[]? Scales { get; }

    /// <summary>Byte offset of row 0 inside the buffer (alignment).</summary>
    private int Offset { get; }

    /// <summary>The first byte of row 0; pin it with <c>fixed</c> (free for a pinned array) to keep the chunk alive.</summary>
    public ref byte Start => ref _buffer[Offset];

    public Span<byte> Row(int row) => _buffer.AsSpan(Offset + row * RowBytes, RowBytes);

    /// <summary>A copy holding the first <paramref name="rows"/> rows (copy-on-write of a replaced row).</summary>
    public VectorChunk Clone(int rows)
    {
        var copy = new VectorChunk(RowCapacity, RowBytes, Scales is not null);
        _buffer.AsSpan(Offset, rows * RowBytes).CopyTo(copy._buffer.AsSpan(copy.Offset));
        Scales?.AsSpan(0, rows).CopyTo(copy.Scales);
        return copy;
    }
}
