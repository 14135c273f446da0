using Motor.Core.Datasets;
using TorchSharp;
using static TorchSharp.torch;

namespace Motor.Trainer.Training;

/// <summary>
/// PROTOCOL.md negative sampling, on the device and in bulk: each training (user, positive) pair gets one negative drawn
/// uniformly from the items that occur in the training split; negatives that are among the user's training items are
/// re-drawn (all rejects of a round at once) until none is left. Draws come from the caller's torch generator.
/// </summary>
public sealed class NegativeSampler : IDisposable
{
    private readonly Tensor _users;
    private readonly Tensor _positives;
    private readonly Tensor _candidates;
    private readonly Tensor _sortedKeys;
    private readonly long _itemCount;

    public NegativeSampler(CsrMatrix trainByUser, Device device)
    {
        int pairs = trainByUser.NonZeroCount;
        if (pairs == 0)
        {
            throw new ArgumentException("the training split has no interactions");
        }

        _itemCount = trainByUser.ColumnCount;
        long[] users = new long[pairs];
        long[] items = new long[pairs];
        long[] keys = new long[pairs];
        bool[] seen = new bool[trainByUser.ColumnCount];
        int next = 0;
        for (int user = 0; user < trainByUser.RowCount; user++)
        {
            foreach (int item in trainByUser.Row(user))
            {
                users[next] = user;
                items[next] = item;
                // Rows ascending and columns sorted within a row: the keys come out sorted, as searchsorted needs.
                keys[next] = (user * _itemCount) + item;
                seen[item] = true;
                next++;
            }
        }

        long[] candidates = Enumerable.Range(0, seen.Length).Where(item => seen[item]).Select(item => (long)item).ToArray();
        _users = tensor(users, ScalarType.Int64, device);
        _positives = tensor(items, ScalarType.Int64, device);
        _sortedKeys = tensor(keys, ScalarType.Int64, device);
        _candidates = tensor(candidates, ScalarType.Int64, device);
        PairCount = pairs;
    }

    public int PairCount { get; }

    /// <summary>Items that occur in the training split (the negative pool).</summary>
    public long CandidateCount => _candidates.shape[0];

    /// <summary>All training pairs in a random order, each with a fresh negative: three Int64 tensors of PairCount.</summary>
    public (Tensor Users, Tensor Positives, Tensor Negatives) Epoch(Generator generator)
    {
        using DisposeScope scope = NewDisposeScope();
        Tensor order = randperm(PairCount, ScalarType.Int64, _users.device, generator: generator);
        Tensor users = _users.index_select(0, order);
        Tensor positives = _positives.index_select(0, order);
        Tensor negatives = Draw(users, generator);
        return (users.MoveToOuterDisposeScope(), positives.MoveToOuterDisposeScope(), negatives.MoveToOuterDisposeScope());
    }

    /// <summary>One negative per user in <paramref name="users"/>, never one of that user's training items.</summary>
    public Tensor Draw(Tensor users, Generator generator)
    {
        using DisposeScope scope = NewDisposeScope();
        long count = users.shape[0];
        Tensor negatives = _candidates.index_select(0, randint(0, CandidateCount, [count], ScalarType.Int64, users.device, generator: generator));
        Tensor pending = arange(count, ScalarType.Int64, users.device);
        using Scalar itemCount = _itemCount;
        using Scalar lastKey = _sortedKeys.shape[0] - 1;
        while (true)
        {
            Tensor pendingUsers = users.index_select(0, pending);
            Tensor keys = (pendingUsers * itemCount) + negatives.index_select(0, pending);
            Tensor position = searchsorted(_sortedKeys, keys).clamp_max(lastKey);
            Tensor rejected = _sortedKeys.index_select(0, position).eq(keys);
            pending = pending.masked_select(rejected);
            long remaining = pending.shape[0];
            if (remaining == 0)
            {
                return negatives.MoveToOuterDisposeScope();
            }

            Tensor redrawn = _candidates.index_select(0, randint(0, CandidateCount, [remaining], ScalarType.Int64, users.device, generator: generator));
            negatives.index_copy_(0, pending, redrawn);
        }
    }

    public void Dispose()
    {
        _users.Dispose();
        _positives.Dispose();
        _candidates.Dispose();
        _sortedKeys.Dispose();
    }
}
