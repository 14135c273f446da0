using Motor.Trainer.Items;
using TorchSharp;
using static TorchSharp.torch;

namespace Motor.Trainer.Tests.Training;

[Collection(TorchTestCollection.Name)]
public sealed class ItemEncoderTests
{
    private const int Items = 10;
    private const int Modalities = 2;
    private const int M = 4;
    private const int K = 16;
    private const int D = 8;

    [Theory]
    [InlineData(true, TcnOrder.First, 0, TcnBranches.Specific, false)]
    [InlineData(true, TcnOrder.First, 0, TcnBranches.Agnostic, false)]
    [InlineData(true, TcnOrder.Second, 0, TcnBranches.Both, false)]
    [InlineData(true, TcnOrder.High, 0, TcnBranches.Both, false)]
    [InlineData(true, TcnOrder.High, 1, TcnBranches.Both, false)]
    [InlineData(true, TcnOrder.High, 3, TcnBranches.Specific, false)]
    [InlineData(true, TcnOrder.High, 2, TcnBranches.Agnostic, true)]
    [InlineData(false, TcnOrder.High, 2, TcnBranches.Both, false)]
    [InlineData(false, TcnOrder.High, 2, TcnBranches.Both, true)]
    public void TcnOptionsChangeTheParameterCountExactly(bool useTcn, TcnOrder order, int layers, TcnBranches branches, bool shared)
    {
        var options = new MotorEncoderOptions { Dimension = D, UseTcn = useTcn, Order = order, CrossLayers = layers, Branches = branches, SharedTokenTable = shared };
        using var encoder = new MotorItemEncoder(Codes(), Items, Modalities, M, K, options, CPU);

        long tables = Modalities * (shared ? K : M * K) * D;
        long expected = tables;
        if (useTcn)
        {
            int width = order == TcnOrder.First ? D : 2 * D;
            int branchCount = branches switch { TcnBranches.Specific => Modalities, TcnBranches.Agnostic => 1, _ => Modalities + 1 };
            int crossLayers = order == TcnOrder.High ? layers : 0;
            expected += branchCount * crossLayers * ((width * width) + width);
            expected += (branchCount * width * D) + D;
        }

        Assert.Equal(expected, encoder.parameters().Sum(parameter => parameter.numel()));
        Assert.Equal((expected * 4) + (Items * Modalities * M), encoder.StorageBytes);
        using Tensor all = encoder.All();
        Assert.Equal(new long[] { Items, D }, all.shape);
    }

    [Fact]
    public void StateDictionaryNamesAreTheDocumentedContract()
    {
        var options = new MotorEncoderOptions { Dimension = D, CrossLayers = 1 };
        using var encoder = new MotorItemEncoder(Codes(), Items, Modalities, M, K, options, CPU);
        string[] names = encoder.state_dict().Keys.OrderBy(name => name, StringComparer.Ordinal).ToArray();
        Assert.Equal(
            [
                "branches.0.cross.0.bias", "branches.0.cross.0.weight",
                "branches.1.cross.0.bias", "branches.1.cross.0.weight",
                "branches.2.cross.0.bias", "branches.2.cross.0.weight",
                "projection.bias", "projection.weight",
                "token_rows", "token_tables.0", "token_tables.1",
            ],
            names);
        using var id = new IdItemTable(Items, D, CPU);
        Assert.Equal(["weight"], id.state_dict().Keys.ToArray());
    }

    [Fact]
    public void ForwardMatchesAHandComputedTokenCrossing()
    {
        var options = new MotorEncoderOptions { Dimension = D, Order = TcnOrder.High, CrossLayers = 1, Branches = TcnBranches.Agnostic };
        using var encoder = new MotorItemEncoder(Codes(), Items, Modalities, M, K, options, CPU);
        var state = encoder.state_dict();
        const int item = 3;
        long[] codes = Codes().Skip(item * Modalities * M).Take(Modalities * M).ToArray();
        var rows = new List<Tensor>();
        for (int token = 0; token < codes.Length; token++)
        {
            int modality = token / M;
            int subspace = token % M;
            rows.Add(state[$"token_tables.{modality}"][(subspace * K) + codes[token]]);
        }

        using (no_grad())
        {
            Tensor e = stack(rows);
            Tensor h1 = e.sum(0L);
            Tensor h2 = 0.5 * ((h1 * h1) - (e * e).sum(0L));
            Tensor x0 = cat([h1, h2]);
            Tensor x1 = (x0 * (state["branches.0.cross.0.weight"].matmul(x0) + state["branches.0.cross.0.bias"])) + x0;
            Tensor expected = state["projection.weight"].matmul(x1) + state["projection.bias"];
            Tensor actual = encoder.forward(tensor(new long[] { item }))[0];
            Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-6), "encoder output differs from the formula of METHOD.md section 4");

            var noTcn = new MotorItemEncoder(Codes(), Items, Modalities, M, K, options with { UseTcn = false }, CPU);
            var noTcnState = noTcn.state_dict();
            Tensor mean = stack(codes.Select((code, token) => noTcnState[$"token_tables.{token / M}"][((token % M) * K) + code]).ToArray()).mean([0]);
            Assert.True(noTcn.forward(tensor(new long[] { item }))[0].allclose(mean, rtol: 1e-5, atol: 1e-6));
        }
    }

    [Theory]
    [InlineData(true, TcnOrder.First, TcnBranches.Both, false)]
    [InlineData(true, TcnOrder.Second, TcnBranches.Specific, false)]
    [InlineData(true, TcnOrder.High, TcnBranches.Both, false)]
    [InlineData(true, TcnOrder.High, TcnBranches.Agnostic, true)]
    [InlineData(false, TcnOrder.High, TcnBranches.Both, false)]
    public void Encoding_a_batch_of_items_equals_their_rows_of_the_whole_catalog(bool useTcn, TcnOrder order, TcnBranches branches, bool shared)
    {
        // Training steps pool only the batch's items; the result must be the catalog-wide pooling's rows.
        torch.manual_seed(5);
        var options = new MotorEncoderOptions { Dimension = D, UseTcn = useTcn, Order = order, CrossLayers = 2, Branches = branches, SharedTokenTable = shared };
        using var encoder = new MotorItemEncoder(Codes(), Items, Modalities, M, K, options, CPU);
        using Tensor batch = tensor(new long[] { 3, 0, 9, 3, 5 }, ScalarType.Int64);
        foreach (bool training in new[] { false, true })
        {
            encoder.train(training);
            using Tensor all = encoder.All();
            using Tensor expected = all.index_select(0, batch);
            using Tensor actual = encoder.forward(batch);
            Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-6), $"training {training}: max difference {(actual - expected).abs().max().item<float>()}");
        }
    }

    [Fact]
    public void Token_dropout_on_a_batch_keeps_the_expected_sum_and_drops_whole_items()
    {
        torch.manual_seed(6);
        var options = new MotorEncoderOptions { Dimension = D, UseTcn = false, TokenDropout = 0.5 };
        using var encoder = new MotorItemEncoder(Codes(), Items, Modalities, M, K, options, CPU);
        using Tensor batch = full(4000, 2L, ScalarType.Int64);
        encoder.eval();
        using Tensor exact = encoder.forward(batch.narrow(0, 0, 1));
        encoder.train();
        using Tensor dropped = encoder.forward(batch);

        // Kept tokens are scaled by 1/(1 - p): the mean over many draws is the exact pooling.
        Assert.True(dropped.mean([0]).allclose(exact[0], rtol: 0.05, atol: 0.02), "the dropout is not unbiased");
        Assert.False(dropped[0].allclose(dropped[1]), "every row drew the same mask");

        using var itemDropping = new MotorItemEncoder(Codes(), Items, Modalities, M, K, options with { TokenDropout = 0, ItemDropout = 0.5 }, CPU);
        itemDropping.train();
        using Tensor items = itemDropping.forward(batch);
        long zeroRows = (items.abs().sum(1) == 0).sum().item<long>();
        Assert.InRange(zeroRows, 1700, 2300); // a dropped item is encoded from no token at all
    }

    [Fact]
    public void CodesOutsideTheCodebookAreRejected()
    {
        long[] codes = Codes();
        codes[5] = K;
        var error = Assert.Throws<ArgumentException>(() => new MotorItemEncoder(codes, Items, Modalities, M, K, new MotorEncoderOptions { Dimension = D }, CPU));
        Assert.Contains("item 0, token 5", error.Message);
    }

    private static long[] Codes()
    {
        var random = new Random(11);
        return Enumerable.Range(0, Items * Modalities * M).Select(_ => (long)random.Next(K)).ToArray();
    }
}
