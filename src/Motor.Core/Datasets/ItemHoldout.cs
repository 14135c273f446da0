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
    public static ItemHoldout Create(InteractionDataset dataset, double fraction, int seed) => throw new NotImplementedException();
}
