using Motor.Core.Datasets;

namespace Motor.Core.Evaluation;

/// <summary>Targets of the cold-start evaluations of PROTOCOL.md.</summary>
public static class ColdStartTargets
{
    /// <summary>
    /// Natural cold start: each user's test items restricted to the items with no training interaction
    /// (<see cref="InteractionDataset.ColdItems"/>). Users without a cold test item get an empty row and are skipped by
    /// <see cref="RankingEvaluator.Evaluate"/>; ranking is still over all items, with the training items masked.
    /// </summary>
    public static CsrMatrix Natural(InteractionDataset dataset) => RestrictToItems(dataset.TestByUser, dataset.ColdItems);

    /// <summary>The same restriction applied to the validation split.</summary>
    public static CsrMatrix NaturalValid(InteractionDataset dataset) => RestrictToItems(dataset.ValidByUser, dataset.ColdItems);

    /// <summary>Keeps only the columns listed in <paramref name="items"/>.</summary>
    public static CsrMatrix RestrictToItems(CsrMatrix matrix, IReadOnlyCollection<int> items)
    {
        bool[] keep = new bool[matrix.ColumnCount];
        foreach (int item in items)
        {
            if ((uint)item < (uint)keep.Length)
            {
                keep[item] = true;
            }
        }

        return matrix.Filter(item => keep[item]);
    }
}
