using Motor.Core.Search;

namespace Motor.Benchmarks;

/// <summary>The catalogs the top-k benchmarks run on: tiktok's item count and synthetic 100k / 1M items, all 64-d.</summary>
public enum CatalogSize
{
    Tiktok6710,
    Synthetic100k,
    Synthetic1M,
}

/// <summary>Random item vectors and queries (fixed seeds) and the indexes built on them.</summary>
public sealed class Catalog
{
    public const int Dimension = 64;

    private Catalog(CatalogSize size, int itemCount, float[] items, float[] queries)
    {
        Size = size;
        ItemCount = itemCount;
        Items = items;
        Queries = queries;
    }

    public CatalogSize Size { get; }

    public int ItemCount { get; }

    /// <summary>ItemCount x Dimension, row-major.</summary>
    public float[] Items { get; }

    /// <summary>QueryCount x Dimension, row-major.</summary>
    public float[] Queries { get; }

    public int QueryCount => Queries.Length / Dimension;

    public static int ItemCountOf(CatalogSize size) => size switch
    {
        CatalogSize.Tiktok6710 => 6710,
        CatalogSize.Synthetic100k => 100_000,
        CatalogSize.Synthetic1M => 1_000_000,
        _ => throw new ArgumentOutOfRangeException(nameof(size), size, "Unknown catalog size."),
    };

    public static Catalog Create(CatalogSize size, int queryCount)
    {
        int itemCount = ItemCountOf(size);
        var random = new Random(1234 + (int)size);
        return new Catalog(size, itemCount, Gaussian(random, itemCount * Dimension), Gaussian(random, queryCount * Dimension));
    }

    public ReadOnlySpan<float> Query(int index) => Queries.AsSpan((index % QueryCount) * Dimension, Dimension);

    public ExactVectorIndex BuildIndex(VectorPrecision precision) => new(Dimension, Items, precision);

    /// <summary>Standard normal values (Box-Muller): isotropic vectors, the hardest case for reduced precision.</summary>
    private static float[] Gaussian(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i + 1 < count; i += 2)
        {
            double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble()));
            double angle = 2.0 * Math.PI * random.NextDouble();
            values[i] = (float)(radius * Math.Cos(angle));
            values[i + 1] = (float)(radius * Math.Sin(angle));
        }

        if (count % 2 == 1)
        {
            values[^1] = (float)random.NextDouble();
        }

        return values;
    }
}
