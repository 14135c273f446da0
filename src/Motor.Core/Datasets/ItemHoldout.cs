namespace Motor.Core.Datasets;

/// <summary>
/// The item hold-out cold-start protocol (PROTOCOL.md, <c>--cold-items 0.2</c>): a seeded random share of items is removed
/// with all their training interactions; their valid/test interactions are evaluated ranking among held-out items only.
/// </summary>
public sealed class ItemHoldout
{
    public required InteractionDataset TrainingView { get; init; }

    /// <summary>The held-out items, ascending.</summary>
    public required int[] HeldOutItems { get; init; }

    /// <summary>Valid interactions (user x item) whose item is held out.</summary>
    public required CsrMatrix HeldOutValidByUser { get; init; }

    /// <summary>Test interactions (user x item) whose item is held out.</summary>
    public required CsrMatrix HeldOutTestByUser { get; init; }

    /// <summary>
    /// Splits <paramref name="dataset"/>. <see cref="TrainingView"/> is the same dataset without any interaction of a
    /// held-out item in Train/Valid/Test (so that training and early stopping never see them).
    /// </summary>
    /// <remarks>
    /// round(fraction x ItemCount) items (at least one, at most all but one) are drawn uniformly from all items by a partial
    /// Fisher-Yates shuffle with <c>new Random(seed)</c>, so the same seed gives the same items on every machine.
    /// </remarks>
    public static ItemHoldout Create(InteractionDataset dataset, double fraction, int seed)
    {
        if (!(fraction > 0 && fraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the held-out share of items must be in (0, 1)");
        }

        if (dataset.ItemCount < 2)
        {
            throw new ArgumentException("item hold-out needs at least two items", nameof(dataset));
        }

        int count = Math.Clamp((int)Math.Round(fraction * dataset.ItemCount), 1, dataset.ItemCount - 1);
        int[] order = Enumerable.Range(0, dataset.ItemCount).ToArray();
        Random random = new(seed);
        for (int i = 0; i < count; i++)
        {
            int j = random.Next(i, order.Length);
            (order[i], order[j]) = (order[j], order[i]);
        }

        int[] heldOut = order[..count];
        Array.Sort(heldOut);
        bool[] isHeldOut = new bool[dataset.ItemCount];
        foreach (int item in heldOut)
        {
            isHeldOut[item] = true;
        }

        InteractionDataset view = InteractionDataset.FromSplits(
            dataset.Name,
            dataset.DirectoryPath,
            dataset.UserCount,
            dataset.ItemCount,
            Without(dataset.Train, isHeldOut),
            Without(dataset.Valid, isHeldOut),
            Without(dataset.Test, isHeldOut),
            dataset.Modalities,
            dataset.ContentHash);

        return new ItemHoldout
        {
            TrainingView = view,
            HeldOutItems = heldOut,
            HeldOutValidByUser = dataset.ValidByUser.Filter(item => isHeldOut[item]),
            HeldOutTestByUser = dataset.TestByUser.Filter(item => isHeldOut[item]),
        };
    }

    private static InteractionSplit Without(InteractionSplit split, bool[] isHeldOut)
    {
        List<int> users = new(split.Count);
        List<int> items = new(split.Count);
        for (int i = 0; i < split.Count; i++)
        {
            if (!isHeldOut[split.Items[i]])
            {
                users.Add(split.Users[i]);
                items.Add(split.Items[i]);
            }
        }

        return new InteractionSplit([.. users], [.. items]);
    }
}
