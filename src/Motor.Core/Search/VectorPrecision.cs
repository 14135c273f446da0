namespace Motor.Core.Search;

/// <summary>Storage format of the item vectors in an <see cref="ExactVectorIndex"/>; queries are always float32.</summary>
public enum VectorPrecision
{
    /// <summary>4 bytes per value; scores are exact float32 dot products.</summary>
    Float32,

    /// <summary>2 bytes per value (IEEE half; magnitudes above 65504 saturate); half the memory traffic.</summary>
    Float16,

    /// <summary>1 byte per value plus one float scale per item (symmetric, max |value| maps to 127); a quarter of the memory traffic.</summary>
    Int8,
}
