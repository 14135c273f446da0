using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Motor.Trainer.Items;

/// <summary>The ID baseline: one learned row per item (parameter <c>weight</c>, ItemCount x Dimension, Xavier-uniform as MMRec).</summary>
public sealed class IdItemTable : ItemRepresentation
{
    [ComponentName(Name = "weight")]
    private readonly Parameter _weight;

    public IdItemTable(int itemCount, int dimension, Device? device = null)
        : base("id_items", itemCount, dimension)
    {
        _weight = new Parameter(nn.init.xavier_uniform_(empty(itemCount, dimension, device: device)));
        RegisterComponents();
    }

    public override string Kind => "id";

    public override long StorageBytes => ParameterBytes();

    /// <summary>The table itself (ItemCount x Dimension).</summary>
    public Parameter Weight => _weight;

    public override Tensor forward(Tensor itemIndices) => _weight.index_select(0, itemIndices);

    public override Tensor All() => _weight;
}
