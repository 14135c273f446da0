using Motor.Core.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace Motor.Trainer.Training;

/// <summary>Scores a block of users against all items with one matmul on the device; the Core evaluator does the top-k.</summary>
public sealed class DotProductScorer : IScoreProvider
{
    private readonly Tensor _users;
    private readonly Tensor _itemsTransposed;

    /// <param name="users">Users x d'.</param>
    /// <param name="items">Items x d'.</param>
    public DotProductScorer(Tensor users, Tensor items)
    {
        _users = users;
        _itemsTransposed = items.t();
        ItemCount = (int)items.shape[0];
    }

    public int ItemCount { get; }

    public void Score(ReadOnlySpan<int> users, Span<float> scores)
    {
        using DisposeScope scope = NewDisposeScope();
        long[] indices = new long[users.Length];
        for (int index = 0; index < indices.Length; index++)
        {
            indices[index] = users[index];
        }

        Tensor block = _users.index_select(0, tensor(indices, ScalarType.Int64, _users.device)).matmul(_itemsTransposed);
        Tensor host = block.to(CPU).contiguous();
        long count = host.numel();
        if (count != scores.Length)
        {
            throw new ArgumentException($"score buffer has {scores.Length} values, expected {count}", nameof(scores));
        }

        host.data<float>().CopyTo(scores, 0, 0);
    }
}
