using Motor.Core.Datasets;

namespace Motor.Core.Tests;

public sealed class ItemHoldoutTests
{
    [Fact]
    public void HoldsOutASeededShareOfItemsWithAllTheirInteractions()
    {
        InteractionDataset dataset = SyntheticDataset.Create(userCount: 50, itemCount: 40, seed: 3);

        ItemHoldout holdout = ItemHoldout.Create(dataset, 0.25, seed: 11);
        ItemHoldout again = ItemHoldout.Create(dataset, 0.25, seed: 11);
        ItemHoldout other = ItemHoldout.Create(dataset, 0.25, seed: 12);

        Assert.Equal(10, holdout.HeldOutItems.Length);
        Assert.Equal(holdout.HeldOutItems, again.HeldOutItems);
        Assert.NotEqual(holdout.HeldOutItems, other.HeldOutItems);
        Assert.Equal(holdout.HeldOutItems.Order(), holdout.HeldOutItems);

        HashSet<int> heldOut = [.. holdout.HeldOutItems];
        InteractionDataset view = holdout.TrainingView;
        Assert.DoesNotContain(view.Train.Items, heldOut.Contains);
        Assert.DoesNotContain(view.Valid.Items, heldOut.Contains);
        Assert.DoesNotContain(view.Test.Items, heldOut.Contains);
        Assert.Equal(dataset.Train.Count, view.Train.Count + dataset.Train.Items.Count(heldOut.Contains));
        Assert.Subset(view.ColdItems.ToHashSet(), heldOut);

        // Two disjoint halves (the first one rounded up) that together are the held-out items; the rest are warm.
        Assert.Equal(5, holdout.ColdValidItems.Length);
        Assert.Equal(5, holdout.ColdTestItems.Length);
        Assert.Empty(holdout.ColdValidItems.Intersect(holdout.ColdTestItems));
        Assert.Equal(holdout.HeldOutItems, holdout.ColdValidItems.Concat(holdout.ColdTestItems).Order());
        Assert.Equal(Enumerable.Range(0, 40).Except(heldOut), holdout.WarmItems);
        Assert.Equal(holdout.ColdTestItems, again.ColdTestItems);

        // The targets of each half are all of its items' interactions, whatever split they were in.
        foreach ((int[] items, CsrMatrix targets) in new[] { (holdout.ColdValidItems, holdout.ColdValidTargets), (holdout.ColdTestItems, holdout.ColdTestTargets) })
        {
            int expected = new[] { dataset.Train, dataset.Valid, dataset.Test }
                .SelectMany(split => split.Users.Zip(split.Items))
                .Where(pair => items.Contains(pair.Second))
                .Distinct()
                .Count();
            Assert.Equal(expected, targets.NonZeroCount);
            Assert.True(targets.NonZeroCount > 0);
            Assert.All(targets.Columns, item => Assert.Contains(item, items));
        }
    }

    [Fact]
    public void OddCountsGiveTheExtraItemToColdValid()
    {
        InteractionDataset dataset = SyntheticDataset.Create(userCount: 20, itemCount: 30, seed: 3);

        ItemHoldout holdout = ItemHoldout.Create(dataset, 0.1, seed: 5);

        Assert.Equal(2, holdout.ColdValidItems.Length);
        Assert.Single(holdout.ColdTestItems);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void RejectsFractionsOutsideTheOpenUnitInterval(double fraction)
    {
        InteractionDataset dataset = SyntheticDataset.Create(userCount: 5, itemCount: 5, seed: 1);

        Assert.Throws<ArgumentOutOfRangeException>(() => ItemHoldout.Create(dataset, fraction, 1));
    }
}

/// <summary>A random in-memory dataset for tests that need one.</summary>
internal static class SyntheticDataset
{
    public static InteractionDataset Create(int userCount, int itemCount, int seed, int perUser = 6)
    {
        Random random = new(seed);
        List<int>[] users = [[], [], []];
        List<int>[] items = [[], [], []];
        for (int user = 0; user < userCount; user++)
        {
            for (int i = 0; i < perUser; i++)
            {
                int split = i < perUser - 2 ? 0 : i - (perUser - 3);
                users[split].Add(user);
                items[split].Add(random.Next(itemCount));
            }
        }

        InteractionSplit[] splits = [.. Enumerable.Range(0, 3).Select(split => new InteractionSplit([.. users[split]], [.. items[split]]))];
        return InteractionDataset.FromSplits("synthetic", "/synthetic", userCount, itemCount, splits[0], splits[1], splits[2], [], "synthetic");
    }
}
