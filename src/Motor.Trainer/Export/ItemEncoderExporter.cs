using Google.Protobuf;
using Motor.Trainer.Backbones;
using Motor.Trainer.Items;
using Onnx;

namespace Motor.Trainer.Export;

/// <summary>item_encoder.onnx of a trained MOTOR backbone: its item encoder followed by its serving transform.</summary>
internal static class ItemEncoderExporter
{
    /// <summary>The ONNX model; throws for ID backbones, which have no encoder (cold-start ingestion is refused for them).</summary>
    public static ModelProto Build(Backbone backbone, string producerVersion)
    {
        if (backbone.Items is not MotorItemEncoder encoder)
        {
            throw new InvalidOperationException($"export: item representation '{backbone.Items.Kind}' has no item encoder; only 'motor' models get item_encoder.onnx");
        }

        return ItemEncoderGraph.Build(MotorEncoderWeights.From(encoder), backbone.ColdServing(), producerVersion);
    }

    /// <summary>Inputs of the built model in order (the manifest's encoderInputs).</summary>
    public static IReadOnlyList<string> InputsOf(ModelProto model) => [.. model.Graph.Input.Select(input => input.Name)];

    /// <summary>The serving vector size of the built model's output.</summary>
    public static int VectorSizeOf(ModelProto model) => (int)model.Graph.Output[0].Type.TensorType.Shape.Dim[1].DimValue;

    public static void Write(ModelProto model, Stream stream) => model.WriteTo(stream);

    public static void Write(ModelProto model, string path)
    {
        using FileStream stream = File.Create(path);
        model.WriteTo(stream);
    }
}
