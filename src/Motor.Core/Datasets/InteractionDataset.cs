using Motor.Core.Features;

namespace Motor.Core.Datasets;

/// <summary>Interactions of one split as parallel arrays, in file order.</summary>
public sealed class InteractionSplit(int[] users, int[] items)
{
    public int[] Users { get; } = users;

    public int[] Items { get; } = items;

    public int Count => Users.Length;
}

/// <summary>One modality's item features: ItemCount x Dimension float32 values, row i = item i, as stored (not preprocessed).</summary>
public sealed class ModalityFeatures(string name, string filePath, NpyArray array)
{
    public string Name { get; } = name;

    public string FilePath { get; } = filePath;

    public int Dimension => Array.Columns;

    public NpyDataType StoredType => Array.StoredType;

    public NpyArray Array { get; } = array;

    public float[] Values => Array.Values;

    /// <summary>Items the dataset declares as missing this modality; their rows hold the mean of the other rows.</summary>
    public IReadOnlyList<int> ImputedItems { get; init; } = [];

    /// <summary>The model that computed these features from raw content (dataset.json), or null when unknown.</summary>
    public FeaturizerReference? Featurizer { get; init; }
}

/// <summary>A dataset folder in the format of PROTOCOL.md, loaded and validated.</summary>
public sealed class InteractionDataset
{
    public required string Name { get; init; }

    public required string DirectoryPath { get; init; }

    public required int UserCount { get; init; }

    public required int ItemCount { get; init; }

    public required InteractionSplit Train { get; init; }

    public required InteractionSplit Valid { get; init; }

    public required InteractionSplit Test { get; init; }

    /// <summary>Each user's training items (UserCount rows, ItemCount columns).</summary>
    public required CsrMatrix TrainByUser { get; init; }

    public required CsrMatrix ValidByUser { get; init; }

    public required CsrMatrix TestByUser { get; init; }

    public required IReadOnlyList<ModalityFeatures> Modalities { get; init; }

    /// <summary>Items that never occur in the training split (the natural cold-start items), ascending.</summary>
    public required int[] ColdItems { get; init; }

    /// <summary>Users without any training interaction, ascending.</summary>
    public required int[] UsersWithoutTraining { get; init; }

    /// <summary>Hex SHA-256 over the dataset's files (names and contents), for bundle manifests.</summary>
    public required string ContentHash { get; init; }

    public int InteractionCount => Train.Count + Valid.Count + Test.Count;

    /// <summary>
    /// A dataset from its splits; the per-user matrices, the items never in training and the users without training
    /// interactions are derived here, so every producer (loader, hold-out view, test fixtures) derives them the same way.
    /// </summary>
    public static InteractionDataset FromSplits(
        string name,
        string directoryPath,
        int userCount,
        int itemCount,
        InteractionSplit train,
        InteractionSplit valid,
        InteractionSplit test,
        IReadOnlyList<ModalityFeatures> modalities,
        string contentHash)
    {
        CsrMatrix trainByUser = CsrMatrix.FromPairs(userCount, itemCount, train.Users, train.Items);
        bool[] trained = new bool[itemCount];
        foreach (int item in trainByUser.Columns)
        {
            trained[item] = true;
        }

        return new InteractionDataset
        {
            Name = name,
            DirectoryPath = directoryPath,
            UserCount = userCount,
            ItemCount = itemCount,
            Train = train,
            Valid = valid,
            Test = test,
            TrainByUser = trainByUser,
            ValidByUser = CsrMatrix.FromPairs(userCount, itemCount, valid.Users, valid.Items),
            TestByUser = CsrMatrix.FromPairs(userCount, itemCount, test.Users, test.Items),
            Modalities = modalities,
            ColdItems = [.. Enumerable.Range(0, itemCount).Where(item => !trained[item])],
            UsersWithoutTraining = [.. Enumerable.Range(0, userCount).Where(user => trainByUser.RowLength(user) == 0)],
            ContentHash = contentHash,
        };
    }
}
