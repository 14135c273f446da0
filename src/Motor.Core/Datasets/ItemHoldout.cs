namespace Motor.Core.Datasets;

/// <summary>
/// The item hold-out cold-start protocol (PROTOCOL.md, "Cold-start evaluation", <c>--cold-items 0.2</c>): a seeded random
/// share of items leaves training with all its interactions, and the held-out items are split by the same seed into
/// cold-valid items (model selection) and cold-test items (reporting only).
/// </summary>
/// <remarks>
/// The targets of a held-out item are all of its interactions, whatever split they were labelled with: none of them was
/// seen in training, and every one is a user who came to like an item that was new to the model. Using only the test
/// labels would leave about 600 cold-test interactions on tiktok, too few for differences between seeds to mean much.
/// </remarks>
public sealed class ItemHoldout
{
    public required InteractionDataset TrainingView { get; init; }

    /// <summary>The held-out items, ascending.</summary>
    public required int[] HeldOutItems { get; init; }

    /// <summary>The first half of the held-out items in the seeded order (ascending): used for model selection only.</summary>
    public required int[] ColdValidItems { get; init; }

    /// <summary>The other half (ascending): read once, for reporting.</summary>
    public required int[] ColdTestItems { get; init; }

    /// <summary>Items that are not held out (ascending): the catalog the model was trained on.</summary>
    public required int[] WarmItems { get; init; }

    /// <summary>Every interaction (train, valid, test) of a cold-valid item, by user.</summary>
    public required CsrMatrix ColdValidTargets { get; init; }

    /// <summary>Every interaction (train, valid, test) of a cold-test item, by user.</summary>
    public required CsrMatrix ColdTestTargets { get; init; }

    /// <summary>
    /// Splits <paramref name="dataset"/>. <see cref="TrainingView"/> is the same dataset without any interaction of a
    /// held-out item in Train/Valid/Test (so that training and early stopping never see them).
    /// </summary>
    /// <remarks>
    /// round(fraction x ItemCount) items (at least two, at most all but one) are drawn uniformly from all items by a partial
    /// Fisher-Yates shuffle with <c>new Random(seed)</c>, so the same seed gives the same items on every machine; the first
    /// ceil(count / 2) drawn are cold-valid, the rest cold-test.
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

        if (dataset.ItemCount < 3)
        {
            throw new ArgumentException("item hold-out needs at least three items (one warm, one cold-valid, one cold-test)", nameof(dataset));
        }

        int count = Math.Clamp((int)Math.Round(fraction * dataset.ItemCount), 2, dataset.ItemCount - 1);
        int[] order = Enumerable.Range(0, dataset.ItemCount).ToArray();
        Random random = new(seed);
        for (int i = 0; i < count; i++)
        {
            int j = random.Next(i, order.Length);
            (order[i], order[j]) = (order[j], order[i]);
        }

        int validCount = (count + 1) / 2;
        int[] coldValid = order[..validCount];
        int[] coldTest = order[validCount..count];
        Array.Sort(coldValid);
        Array.Sort(coldTest);
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
            ColdValidItems = coldValid,
            ColdTestItems = coldTest,
            WarmItems = [.. Enumerable.Range(0, dataset.ItemCount).Where(item => !isHeldOut[item])],
            ColdValidTargets = AllInteractionsOf(dataset, coldValid),
            ColdTestTargets = AllInteractionsOf(dataset, coldTest),
        };
    }

    private static CsrMatrix AllInteractionsOf(InteractionDataset dataset, int[] items)
    {
        bool[] keep = new bool[dataset.ItemCount];
        foreach (int item in items)
        {
            keep[item] = true;
        }

        List<int> users = [];
        List<int> columns = [];
        foreach (InteractionSplit split in new[] { dataset.Train, dataset.Valid, dataset.Test })
        {
            for (int i = 0; i < split.Count; i++)
            {
                if (keep[split.Items[i]])
                {
                    users.Add(split.Users[i]);
                    columns.Add(split.Items[i]);
                }
            }
        }

        return CsrMatrix.FromPairs(dataset.UserCount, dataset.ItemCount, [.. users], [.. columns]);
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
