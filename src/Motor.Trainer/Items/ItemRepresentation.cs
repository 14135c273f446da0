using TorchSharp;
using static TorchSharp.torch;

namespace Motor.Trainer.Items;

/// <summary>
/// What every backbone asks for item vectors: an ID table (the baseline) or the MOTOR token encoder.
/// <c>forward(itemIndices)</c> returns one row of <see cref="Dimension"/> values per index (the item's "ego" vector);
/// <see cref="All"/> returns all <see cref="ItemCount"/> rows in item order.
/// </summary>
public abstract class ItemRepresentation : nn.Module<Tensor, Tensor>
{
    protected ItemRepresentation(string name, int itemCount, int dimension)
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(itemCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ItemCount = itemCount;
        Dimension = dimension;
    }

    public int ItemCount { get; }

    public int Dimension { get; }

    /// <summary>"id" or "motor": the <c>--items</c> value that builds this representation.</summary>
    public abstract string Kind { get; }

    /// <summary>Item-side storage in bytes as METHOD.md section 7 counts it (float32 parameters, plus token IDs for MOTOR).</summary>
    public abstract long StorageBytes { get; }

    /// <summary>Vectors of all items, ItemCount x Dimension.</summary>
    public abstract Tensor All();

    /// <summary>Float32 bytes of this module's trainable parameters.</summary>
    protected long ParameterBytes() => parameters().Sum(parameter => parameter.numel()) * sizeof(float);
}
