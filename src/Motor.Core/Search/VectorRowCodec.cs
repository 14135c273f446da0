using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Motor.Core.Search;

/// <summary>Encodes float rows into a storage precision and decodes them back to float32 (padded rows).</summary>
internal static unsafe class VectorRowCodec
{
    private const float HalfMaximum = 65504f;

    /// <summary>2^112: rescales half bits shifted into float position (exact for normal and subnormal halves).</summary>
    private static readonly float HalfExponentRebias = BitConverter.UInt32BitsToSingle(0x77800000);

    public static int BytesPerValue(VectorPrecision precision) => precision switch
    {
        VectorPrecision.Float32 => sizeof(float),
        VectorPrecision.Float16 => sizeof(ushort),
        VectorPrecision.Int8 => sizeof(sbyte),
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown vector precision."),
    };

    /// <summary>Throws when a value is NaN or infinite (they would poison every score they touch).</summary>
    public static void EnsureFinite(ReadOnlySpan<float> vector, string parameterName)
    {
        for (int i = 0; i < vector.Length; i++)
        {
            if (!float.IsFinite(vector[i]))
            {
                throw new ArgumentException($"Element {i} is {vector[i]}; vectors must be finite.", parameterName);
            }
        }
    }

    /// <summary>Writes <paramref name="source"/> into a padded <paramref name="row"/> (padding zeroed); returns the int8 scale (1 otherwise).</summary>
    public static float Encode(ReadOnlySpan<float> source, VectorPrecision precision, Span<byte> row)
    {
        row.Clear();
        switch (precision)
        {
            case VectorPrecision.Float32:
                source.CopyTo(MemoryMarshal.Cast<byte, float>(row));
                return 1f;
            case VectorPrecision.Float16:
            {
                Span<ushort> halves = MemoryMarshal.Cast<byte, ushort>(row);
                for (int i = 0; i < source.Length; i++)
                {
                    halves[i] = BitConverter.HalfToUInt16Bits((Half)Math.Clamp(source[i], -HalfMaximum, HalfMaximum));
                }

                return 1f;
            }

            case VectorPrecision.Int8:
            {
                float maxAbsolute = 0f;
                foreach (float value in source)
                {
                    maxAbsolute = MathF.Max(maxAbsolute, MathF.Abs(value));
                }

                if (maxAbsolute == 0f)
                {
                    return 0f;
                }

                float scale = maxAbsolute / 127f;
                float inverse = 127f / maxAbsolute;
                Span<sbyte> bytes = MemoryMarshal.Cast<byte, sbyte>(row);
                for (int i = 0; i < source.Length; i++)
                {
                    bytes[i] = (sbyte)Math.Clamp(MathF.Round(source[i] * inverse), -127f, 127f);
                }

                return scale;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown vector precision.");
        }
    }

    /// <summary>
    /// Decodes <paramref name="rowCount"/> consecutive padded rows of <paramref name="paddedDimension"/> values
    /// (a multiple of 16) into float32 at <paramref name="destination"/>.
    /// </summary>
    public static void Decode(byte* rows, ReadOnlySpan<float> scales, int rowCount, int paddedDimension, VectorPrecision precision, float* destination)
    {
        int total = rowCount * paddedDimension;
        switch (precision)
        {
            case VectorPrecision.Float32:
                Buffer.MemoryCopy(rows, destination, (long)total * sizeof(float), (long)total * sizeof(float));
                break;
            case VectorPrecision.Float16:
                DecodeHalves((ushort*)rows, total, destination);
                break;
            case VectorPrecision.Int8:
                for (int r = 0; r < rowCount; r++)
                {
                    DecodeBytes((sbyte*)rows + (nint)r * paddedDimension, scales[r], paddedDimension, destination + (nint)r * paddedDimension);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown vector precision.");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeHalves(ushort* source, int count, float* destination)
    {
        int i = 0;
        if (Avx512F.IsSupported)
        {
            var signMask = Vector512.Create(0x8000u);
            var magnitudeMask = Vector512.Create(0x7FFFu);
            var rebias = Vector512.Create(HalfExponentRebias);
            for (; i + 16 <= count; i += 16)
            {
                Vector512<uint> bits = Avx512F.ConvertToVector512UInt32(Vector256.Load(source + i));
                Vector512<float> magnitude = ((bits & magnitudeMask) << 13).AsSingle() * rebias;
                (magnitude.AsUInt32() | ((bits & signMask) << 16)).AsSingle().Store(destination + i);
            }
        }
        else if (Vector.IsHardwareAccelerated)
        {
            var signMask = new Vector<uint>(0x8000u);
            var magnitudeMask = new Vector<uint>(0x7FFFu);
            var rebias = new Vector<float>(HalfExponentRebias);
            for (; i + Vector<ushort>.Count <= count; i += Vector<ushort>.Count)
            {
                Vector.Widen(Vector.Load(source + i), out Vector<uint> low, out Vector<uint> high);
                DecodeHalfBits(low, signMask, magnitudeMask, rebias).Store(destination + i);
                DecodeHalfBits(high, signMask, magnitudeMask, rebias).Store(destination + i + Vector<uint>.Count);
            }
        }

        for (; i < count; i++)
        {
            destination[i] = (float)BitConverter.UInt16BitsToHalf(source[i]);
        }
    }

    private static Vector<float> DecodeHalfBits(Vector<uint> bits, Vector<uint> signMask, Vector<uint> magnitudeMask, Vector<float> rebias)
    {
        Vector<float> magnitude = Vector.AsVectorSingle((bits & magnitudeMask) << 13) * rebias;
        return Vector.AsVectorSingle(Vector.AsVectorUInt32(magnitude) | ((bits & signMask) << 16));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DecodeBytes(sbyte* source, float scale, int count, float* destination)
    {
        int i = 0;
        if (Avx512F.IsSupported)
        {
            var scaleVector = Vector512.Create(scale);
            for (; i + 16 <= count; i += 16)
            {
                Vector512<int> values = Avx512F.ConvertToVector512Int32(Vector128.Load(source + i));
                (Vector512.ConvertToSingle(values) * scaleVector).Store(destination + i);
            }
        }
        else if (Vector.IsHardwareAccelerated)
        {
            var scaleVector = new Vector<float>(scale);
            for (; i + Vector<sbyte>.Count <= count; i += Vector<sbyte>.Count)
            {
                Vector.Widen(Vector.Load(source + i), out Vector<short> low, out Vector<short> high);
                Vector.Widen(low, out Vector<int> a, out Vector<int> b);
                Vector.Widen(high, out Vector<int> c, out Vector<int> d);
                (Vector.ConvertToSingle(a) * scaleVector).Store(destination + i);
                (Vector.ConvertToSingle(b) * scaleVector).Store(destination + i + Vector<int>.Count);
                (Vector.ConvertToSingle(c) * scaleVector).Store(destination + i + (2 * Vector<int>.Count));
                (Vector.ConvertToSingle(d) * scaleVector).Store(destination + i + (3 * Vector<int>.Count));
            }
        }

        for (; i < count; i++)
        {
            destination[i] = source[i] * scale;
        }
    }
}
