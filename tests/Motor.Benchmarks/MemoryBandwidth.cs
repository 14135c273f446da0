using System.Diagnostics;
using System.Runtime.Intrinsics;

namespace Motor.Benchmarks;

/// <summary>Single-thread streaming-read bandwidth: a SIMD sum over an array far larger than the caches.</summary>
public static class MemoryBandwidth
{
    public const long DefaultBytes = 1L << 30;

    public static float[] Allocate(long bytes)
    {
        var data = new float[bytes / sizeof(float)];

        // Touch every page so the measurement reads resident memory, not page faults.
        data.AsSpan().Fill(1f);
        return data;
    }

    /// <summary>Sums every element with eight independent accumulators (enough loads in flight to saturate the memory system).</summary>
    public static unsafe float Sum(float[] data)
    {
        fixed (float* start = data)
        {
            long count = data.LongLength;
            long i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                Vector512<float> a4 = default, a5 = default, a6 = default, a7 = default;
                for (; i + 128 <= count; i += 128)
                {
                    float* p = start + i;
                    a0 += Vector512.Load(p);
                    a1 += Vector512.Load(p + 16);
                    a2 += Vector512.Load(p + 32);
                    a3 += Vector512.Load(p + 48);
                    a4 += Vector512.Load(p + 64);
                    a5 += Vector512.Load(p + 80);
                    a6 += Vector512.Load(p + 96);
                    a7 += Vector512.Load(p + 112);
                }

                float total = Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
                for (; i < count; i++)
                {
                    total += start[i];
                }

                return total;
            }

            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            for (; i + 32 <= count; i += 32)
            {
                float* p = start + i;
                b0 += Vector256.Load(p);
                b1 += Vector256.Load(p + 8);
                b2 += Vector256.Load(p + 16);
                b3 += Vector256.Load(p + 24);
            }

            float rest = Vector256.Sum((b0 + b1) + (b2 + b3));
            for (; i < count; i++)
            {
                rest += start[i];
            }

            return rest;
        }
    }

    /// <summary>Median bytes per second over <paramref name="repetitions"/> full passes (after one warm-up pass); <paramref name="best"/> is the fastest pass.</summary>
    public static double MeasureBytesPerSecond(float[] data, int repetitions, out double best, out float checksum)
    {
        checksum = Sum(data);
        var seconds = new double[repetitions];
        for (int r = 0; r < repetitions; r++)
        {
            long start = Stopwatch.GetTimestamp();
            checksum += Sum(data);
            seconds[r] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        Array.Sort(seconds);
        best = data.LongLength * sizeof(float) / seconds[0];
        return data.LongLength * sizeof(float) / seconds[repetitions / 2];
    }
}
