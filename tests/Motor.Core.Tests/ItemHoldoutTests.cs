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
        Assert.All(holdout.HeldOutTestByUser.Columns, item => Assert.Contains(item, heldOut));

        int expectedTest = Enumerable.Range(0, dataset.UserCount)
            .Sum(user => dataset.TestByUser.Row(user).ToArray().Count(heldOut.Contains));
        Assert.Equal(expectedTest, holdout.HeldOutTestByUser.NonZeroCount);
        Assert.True(holdout.HeldOutTestByUser.NonZeroCount > 0);
        Assert.True(holdout.HeldOutValidByUser.NonZeroCount > 0);
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
