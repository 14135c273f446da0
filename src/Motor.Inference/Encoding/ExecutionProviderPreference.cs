namespace Motor.Inference.Encoding;

/// <summary>Where the ONNX item encoder runs.</summary>
public enum ExecutionProviderPreference
{
    /// <summary>CUDA when it can be appended (GPU build on a CUDA 13 machine), else CPU with one log line.</summary>
    Auto,

    Cpu,

    /// <summary>CUDA or a clear error.</summary>
    Cuda,
}

public static class ExecutionProviderPreferenceParser
{
    /// <summary>Parses "auto", "cpu" or "cuda" (case-insensitive).</summary>
    public static ExecutionProviderPreference Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "auto" => ExecutionProviderPreference.Auto,
        "cpu" => ExecutionProviderPreference.Cpu,
        "cuda" => ExecutionProviderPreference.Cuda,
        _ => throw new ArgumentException($"execution provider '{value}' is not one of auto, cpu, cuda", nameof(value)),
    };
}
