using Google.Protobuf;
using Onnx;

namespace Motor.Trainer.Export;

/// <summary>
/// Builds an ONNX graph with the protobuf types of OnnxSharp: initializers, nodes and typed inputs/outputs with a
/// symbolic batch dimension. Every helper returns the name of the tensor it produced, so graphs read like the forward pass.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>Opset 17: every operator used here exists in this form; ONNX Runtime 1.31 runs it.</summary>
    public const int OpsetVersion = 17;

    /// <summary>IR version 8 goes with opset 17.</summary>
    public const long IrVersion = 8;

    public const string BatchDimension = "N";

    private readonly GraphProto _graph;
    private readonly Dictionary<string, int> _nameCounts = new(StringComparer.Ordinal);

    public OnnxGraphBuilder(string graphName)
    {
        _graph = new GraphProto { Name = graphName };
    }

    public GraphProto Graph => _graph;

    /// <summary>A float input of shape [N, <paramref name="width"/>].</summary>
    public string FloatInput(string name, int width) => AddValue(_graph.Input, name, TensorProto.Types.DataType.Float, width);

    /// <summary>An int64 input of shape [N, <paramref name="width"/>].</summary>
    public string Int64Input(string name, int width) => AddValue(_graph.Input, name, TensorProto.Types.DataType.Int64, width);

    /// <summary>Declares <paramref name="tensor"/> (float [N, width]) as a graph output named <paramref name="name"/>.</summary>
    public void FloatOutput(string tensor, string name, int width)
    {
        if (tensor != name)
        {
            Node("Identity", [tensor], name);
        }

        AddValue(_graph.Output, name, TensorProto.Types.DataType.Float, width);
    }

    /// <summary>A float32 constant of shape <paramref name="dims"/> (stored as raw little-endian bytes).</summary>
    public string FloatInitializer(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        long expected = dims.Aggregate(1L, (product, dim) => product * dim);
        if (values.Length != expected)
        {
            throw new ArgumentException($"initializer '{name}': {values.Length} values for shape [{string.Join(", ", dims)}]");
        }

        string unique = Unique(name);
        var tensor = new TensorProto { Name = unique, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(ToLittleEndianBytes(values));
        _graph.Initializer.Add(tensor);
        return unique;
    }

    public string Int64Initializer(string name, ReadOnlySpan<long> values, params long[] dims)
    {
        string unique = Unique(name);
        var tensor = new TensorProto { Name = unique, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(dims);
        foreach (long value in values)
        {
            tensor.Int64Data.Add(value);
        }

        _graph.Initializer.Add(tensor);
        return unique;
    }

    public string ScalarFloat(string name, float value) => FloatInitializer(name, [value]);

    /// <summary>Adds a node and returns its (single) output name, made unique from <paramref name="output"/>.</summary>
    public string Node(string opType, IReadOnlyList<string> inputs, string output, params AttributeProto[] attributes)
    {
        string unique = Unique(output);
        var node = new NodeProto { OpType = opType, Name = $"{opType}_{unique}" };
        node.Input.AddRange(inputs);
        node.Output.Add(unique);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return unique;
    }

    public string Add(string left, string right, string output) => Node("Add", [left, right], output);

    public string Sub(string left, string right, string output) => Node("Sub", [left, right], output);

    public string Mul(string left, string right, string output) => Node("Mul", [left, right], output);

    public string Div(string left, string right, string output) => Node("Div", [left, right], output);

    public string MatMul(string left, string right, string output) => Node("MatMul", [left, right], output);

    public string Concat(IReadOnlyList<string> inputs, long axis, string output)
        => inputs.Count == 1 ? inputs[0] : Node("Concat", inputs, output, IntAttribute("axis", axis));

    /// <summary>Rows of <paramref name="table"/> selected by <paramref name="indices"/> (shape indices.shape + [d]).</summary>
    public string Gather(string table, string indices, string output) => Node("Gather", [table, indices], output, IntAttribute("axis", 0));

    /// <summary>Indices (int64) of the <paramref name="k"/> largest values along axis 1, largest first; the values output is unused.</summary>
    public string TopKIndices(string input, long k, string output)
    {
        string count = Int64Initializer($"{output}_k", [k], 1);
        string unique = Unique(output);
        var node = new NodeProto { OpType = "TopK", Name = $"TopK_{unique}" };
        node.Input.AddRange([input, count]);
        node.Output.AddRange([Unique($"{output}_values"), unique]);
        node.Attribute.AddRange([IntAttribute("axis", 1), IntAttribute("largest", 1), IntAttribute("sorted", 1)]);
        _graph.Node.Add(node);
        return unique;
    }

    /// <summary>Sum over <paramref name="axis"/>, dropping it (opset 13+: axes as an input).</summary>
    public string ReduceSum(string input, long axis, string output)
    {
        string axes = Int64Initializer($"{output}_axes", [axis], 1);
        return Node("ReduceSum", [input, axes], output, IntAttribute("keepdims", 0));
    }

    /// <summary>Columns [start, end) of a rank-2 or higher tensor along <paramref name="axis"/>.</summary>
    public string Slice(string input, long axis, long start, long end, string output)
    {
        string starts = Int64Initializer($"{output}_starts", [start], 1);
        string ends = Int64Initializer($"{output}_ends", [end], 1);
        string axes = Int64Initializer($"{output}_axes", [axis], 1);
        return Node("Slice", [input, starts, ends, axes], output);
    }

    /// <summary>x·Wᵀ + b for a torch Linear weight W (out x in, row-major): Wᵀ is stored so that MatMul needs no Transpose.</summary>
    public string Linear(string input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int inFeatures, int outFeatures, string name)
    {
        float[] transposed = new float[inFeatures * outFeatures];
        for (int row = 0; row < outFeatures; row++)
        {
            for (int column = 0; column < inFeatures; column++)
            {
                transposed[(column * outFeatures) + row] = weight[(row * inFeatures) + column];
            }
        }

        string weightName = FloatInitializer($"{name}.weight_t", transposed, inFeatures, outFeatures);
        string product = MatMul(input, weightName, $"{name}_matmul");
        if (bias.IsEmpty)
        {
            return product;
        }

        string biasName = FloatInitializer($"{name}.bias", bias, outFeatures);
        return Add(product, biasName, $"{name}_out");
    }

    /// <summary>The finished model: this graph, opset <see cref="OpsetVersion"/>, producer and metadata.</summary>
    public ModelProto ToModel(string producerVersion, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Motor.Trainer",
            ProducerVersion = producerVersion,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = OpsetVersion });
        if (metadata is not null)
        {
            foreach ((string key, string value) in metadata)
            {
                model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
            }
        }

        return model;
    }

    public static AttributeProto IntAttribute(string name, long value)
        => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto IntsAttribute(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    private string AddValue(Google.Protobuf.Collections.RepeatedField<ValueInfoProto> target, string name, TensorProto.Types.DataType type, int width)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = BatchDimension });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = width });
        target.Add(new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        });
        _nameCounts[name] = 1;
        return name;
    }

    private string Unique(string name)
    {
        if (_nameCounts.TryGetValue(name, out int count))
        {
            _nameCounts[name] = count + 1;
            return $"{name}_{count}";
        }

        _nameCounts[name] = 1;
        return name;
    }

    private static byte[] ToLittleEndianBytes(ReadOnlySpan<float> values)
    {
        byte[] bytes = new byte[values.Length * sizeof(float)];
        for (int index = 0; index < values.Length; index++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(index * sizeof(float)), values[index]);
        }

        return bytes;
    }
}
