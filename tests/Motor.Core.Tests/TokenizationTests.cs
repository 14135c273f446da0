using Motor.Core.Tokenization;

namespace Motor.Core.Tests;

public sealed class FeaturePreprocessingTests
{
    [Fact]
    public void NormalizesRowsAndKeepsZeroRowsZero()
    {
        float[] rows = [3, 4, 0, 0, 0, -2];

        new FeaturePreprocessing().Apply(rows, 2, []);

        Assert.Equal([0.6f, 0.8f, 0, 0, 0, -1], rows);
    }

    [Fact]
    public void MeanCentersBeforeNormalizing()
    {
        float[] rows = [2, 3, 4, 1];

        new FeaturePreprocessing { MeanCenter = true, L2Normalize = false }.Apply(rows, 2, [1, 1]);
        Assert.Equal([1, 2, 3, 0], rows);

        float[] normalized = [2, 3];
        new FeaturePreprocessing { MeanCenter = true }.Apply(normalized, 2, [2, 1]);
        Assert.Equal([0, 1], normalized);
    }

    [Fact]
    public void MeanOfTheWrongLengthIsRejected()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new FeaturePreprocessing { MeanCenter = true }.Apply(new float[4], 2, [1]));

        Assert.Contains("mean-centering needs a mean of 2 values, got 1", error.Message);
    }

    [Fact]
    public void ComputeMeanUsesTheListedRowsOnly()
    {
        float[] rows = [1, 2, 100, 100, 3, 6];

        Assert.Equal([2f, 4f], FeaturePreprocessing.ComputeMean(rows, 2, [0, 2]));
    }
}

public sealed class ProductQuantizerTests
{
    // D = 4, M = 2, K = 3; sub-space 0: (0,0) (1,0) (0,1); sub-space 1: (0,0) (2,2) (-1,-1).
    private static readonly float[] s_centroids = [0, 0, 1, 0, 0, 1, 0, 0, 2, 2, -1, -1];

    [Fact]
    public void EncodesNearestCentroidPerSubspaceWithTiesToTheLowerIndex()
    {
        PqCodebook codebook = new("image", 4, 2, 3, s_centroids);
        float[] rows =
        [
            0.9f, 0.1f, 1.5f, 1.4f,
            0.1f, 0.8f, -0.6f, -0.7f,
            0.5f, 0f, 1f, 1f, // (0.5, 0) is equally far from (0,0) and (1,0); (1,1) equally far from (0,0) and (2,2).
        ];
        ushort[] codes = new ushort[6];

        ProductQuantizer.Encode(codebook, rows, 3, codes);

        Assert.Equal([1, 1, 2, 2, 0, 0], codes.Select(code => (int)code));
    }

    [Fact]
    public void DecodeReturnsTheCentroids()
    {
        PqCodebook codebook = new("image", 4, 2, 3, s_centroids);
        float[] rows = new float[8];

        ProductQuantizer.Decode(codebook, [1, 2, 2, 0], 2, rows);

        Assert.Equal([1, 0, -1, -1, 0, 1, 0, 0], rows);
        Assert.Throws<ArgumentOutOfRangeException>(() => ProductQuantizer.Decode(codebook, [3, 0], 1, rows));
    }

    [Fact]
    public void RotationIsAppliedAsRowTimesR()
    {
        // R maps x to y = x·R = (x3, x2, x1, x0) (reversal; orthogonal).
        float[] rotation = new float[16];
        for (int i = 0; i < 4; i++)
        {
            rotation[(i * 4) + (3 - i)] = 1;
        }

        PqCodebook rotated = new("audio", 4, 2, 3, s_centroids, rotation);
        PqCodebook plain = new("audio", 4, 2, 3, s_centroids);
        float[] x = [1.4f, 1.5f, 0.1f, 0.9f];
        float[] y = [0.9f, 0.1f, 1.5f, 1.4f];
        ushort[] rotatedCodes = new ushort[2];
        ushort[] plainCodes = new ushort[2];

        ProductQuantizer.Encode(rotated, x, 1, rotatedCodes);
        ProductQuantizer.Encode(plain, y, 1, plainCodes);
        float[] decoded = new float[4];
        ProductQuantizer.Decode(rotated, rotatedCodes, 1, decoded);

        Assert.Equal([1, 1], rotatedCodes.Select(code => (int)code));
        Assert.Equal(plainCodes, rotatedCodes);

        // Decoding maps the centroids (1, 0, 2, 2) back with Rᵀ: (2, 2, 0, 1).
        Assert.Equal([2f, 2f, 0f, 1f], decoded);
    }

    [Fact]
    public void ParallelEncodingMatchesBruteForce()
    {
        Random random = new(8);
        const int dimension = 16;
        const int subspaces = 4;
        const int centroidCount = 32;
        const int rowCount = 1000;
        float[] centroids = Enumerable.Range(0, subspaces * centroidCount * 4).Select(_ => (float)random.NextDouble()).ToArray();
        float[] rows = Enumerable.Range(0, rowCount * dimension).Select(_ => (float)random.NextDouble()).ToArray();
        PqCodebook codebook = new("text", dimension, subspaces, centroidCount, centroids);
        ushort[] codes = new ushort[rowCount * subspaces];

        ProductQuantizer.Encode(codebook, rows, rowCount, codes);

        for (int row = 0; row < rowCount; row++)
        {
            for (int m = 0; m < subspaces; m++)
            {
                int expected = Enumerable.Range(0, centroidCount)
                    .MinBy(c => Enumerable.Range(0, 4).Sum(j => Math.Pow(rows[(row * dimension) + (m * 4) + j] - centroids[(((m * centroidCount) + c) * 4) + j], 2)));
                Assert.Equal(expected, codes[(row * subspaces) + m]);
            }
        }
    }

    [Fact]
    public void TooFewCodesAreRejected()
    {
        PqCodebook codebook = new("image", 4, 2, 3, s_centroids);

        ArgumentException error = Assert.Throws<ArgumentException>(() => ProductQuantizer.Encode(codebook, new float[8], 2, new ushort[3]));

        Assert.Contains("2 rows x M 2 need 4", error.Message);
    }
}

public sealed class TokenTableTests
{
    [Theory]
    [InlineData(256, 1)]
    [InlineData(1000, 2)]
    public void WriteReadRoundTrip(int centroidCount, int bytesPerToken)
    {
        TokenTable table = new(3, 4, centroidCount);
        for (int item = 0; item < 3; item++)
        {
            for (int token = 0; token < 4; token++)
            {
                table[item, token] = ((item * 97) + (token * 61)) % centroidCount;
            }
        }

        table[2, 3] = centroidCount - 1;
        using MemoryStream stream = new();
        table.Write(stream);
        stream.Position = 0;

        TokenTable read = TokenTable.Read(stream, "tokens.bin");

        Assert.Equal(bytesPerToken, read.BytesPerToken);
        Assert.Equal(20 + (12 * bytesPerToken), stream.Length);
        Assert.Equal((3, 4, centroidCount), (read.ItemCount, read.TokensPerItem, read.CentroidCount));
        long[] codes = new long[4];
        read.CopyItem(2, codes);
        Assert.Equal(centroidCount - 1, codes[3]);
        for (int item = 0; item < 3; item++)
        {
            for (int token = 0; token < 4; token++)
            {
                Assert.Equal(table[item, token], read[item, token]);
            }
        }
    }

    [Fact]
    public void SetItemAndRangeChecks()
    {
        TokenTable table = new(2, 4, 16);

        table.SetItem(1, 2, [7, 15]);

        Assert.Equal(7, table[1, 2]);
        Assert.Equal(15, table[1, 3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => table[0, 0] = 16);
        Assert.Throws<ArgumentOutOfRangeException>(() => table[2, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.SetItem(0, 3, [1, 2]));
    }

    [Fact]
    public void ReadRejectsTruncatedHeader()
    {
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => TokenTable.Read(new MemoryStream("MTOK"u8.ToArray()), "bundle/item_tokens.bin"));

        Assert.Equal("bundle/item_tokens.bin: truncated token table: 4 bytes, the header alone needs 20", error.Message);
    }

    [Fact]
    public void ReadRejectsTruncatedData()
    {
        byte[] bytes = Serialize(new TokenTable(5, 2, 256));

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => TokenTable.Read(new MemoryStream(bytes[..^3]), "t.bin"));

        Assert.Equal("t.bin: truncated token table: 5 items x 2 tokens x 1 bytes need 10 data bytes, found 7", error.Message);
    }

    [Fact]
    public void ReadRejectsBadMagicVersionAndHeader()
    {
        byte[] bytes = Serialize(new TokenTable(1, 1, 4));
        byte[] magic = (byte[])bytes.Clone();
        magic[0] = (byte)'X';
        byte[] version = (byte[])bytes.Clone();
        version[4] = 9;
        byte[] header = (byte[])bytes.Clone();
        header[12] = 0;

        Assert.Contains("t.bin: not a token table", Assert.Throws<InvalidDataException>(() => TokenTable.Read(new MemoryStream(magic), "t.bin")).Message);
        Assert.Contains("t.bin: unsupported token table format version 9", Assert.Throws<InvalidDataException>(() => TokenTable.Read(new MemoryStream(version), "t.bin")).Message);
        Assert.Contains("t.bin: invalid token table header: 1 items, 0 tokens per item, K 4", Assert.Throws<InvalidDataException>(() => TokenTable.Read(new MemoryStream(header), "t.bin")).Message);
    }

    [Fact]
    public void ReadRejectsCodesNotBelowK()
    {
        byte[] bytes = Serialize(new TokenTable(2, 3, 4));
        bytes[20 + 4] = 4;

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => TokenTable.Read(new MemoryStream(bytes), "t.bin"));

        Assert.Equal("t.bin: token 4 of item 1, position 1 is not below K = 4", error.Message);
    }

    private static byte[] Serialize(TokenTable table)
    {
        using MemoryStream stream = new();
        table.Write(stream);
        return stream.ToArray();
    }
}
