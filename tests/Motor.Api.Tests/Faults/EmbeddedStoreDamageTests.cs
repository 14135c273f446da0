using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Motor.Api.Storage;

namespace Motor.Api.Tests.Faults;

/// <summary>
/// The damaged shapes a crash or a disk leaves in the embedded store's file (the tails under a real service process
/// killed with SIGKILL). A tail with nothing valid after it (a torn
/// record, random bytes, zero fill) is cut, its bytes kept in a side file; damage followed by valid records (a flipped
/// bit mid-file) is refused with nothing changed and the repair command, which then restores the record. Acknowledged
/// items are counted before and after each fault.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class EmbeddedStoreDamageTests(ApiEnvironment environment)
{
    private const int Items = 40;

    public static TheoryData<string> TailShapes => ["torn record", "37 random bytes", "4 KiB of zeros"];

    [Theory]
    [MemberData(nameof(TailShapes))]
    public async Task A_damaged_tail_is_cut_into_a_side_file_and_every_acknowledged_item_is_kept(string shape)
    {
        // A real service process writes and is killed; the tail a crash leaves is appended; a new process starts.
        string file = Path.Combine(environment.Root, "damage", Guid.NewGuid().ToString("N")[..8], "store.log");
        var acknowledged = new List<string>();
        await using (ApiProcess writer = await ApiProcess.Start(environment.BundlePath, file).WaitReadyAsync())
        {
            for (int index = 0; index < Items; index++)
            {
                HttpResponseMessage response = await writer.Client.PostAsJsonAsync("/v1/items", new { itemId = $"tail-{index}", features = environment.RandomFeatures(index) });
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                acknowledged.Add($"tail-{index}");
            }

            writer.KillHard();
        }

        long intact = new FileInfo(file).Length;
        byte[] tail = shape switch
        {
            // A header promising 500 bytes and a few of them: the process died mid-append.
            "torn record" => [0xF4, 0x01, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, (byte)'{', (byte)'"'],
            "37 random bytes" => RandomNumberGenerator.GetBytes(37),
            _ => new byte[4096],
        };
        await using (var stream = new FileStream(file, FileMode.Append))
        {
            stream.Write(tail);
        }

        await using ApiProcess restarted = await ApiProcess.Start(environment.BundlePath, file).WaitReadyAsync();
        foreach (string itemId in acknowledged)
        {
            Assert.Equal(HttpStatusCode.OK, (await restarted.Client.GetAsync($"/v1/items/{itemId}")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Created, (await restarted.Client.PostAsJsonAsync("/v1/items", new { itemId = "after-cut", features = environment.RandomFeatures(999) })).StatusCode);
        string sideFile = Assert.Single(Directory.GetFiles(Path.GetDirectoryName(file)!, Path.GetFileName(file) + ".cut-*"));
        Assert.EndsWith($"-at-{intact}", sideFile);
        Assert.Equal(tail, File.ReadAllBytes(sideFile));
        Assert.Contains($"cut {tail.Length} bytes at offset {intact}", restarted.Output);
    }

    [Fact]
    public async Task A_flipped_bit_mid_file_is_refused_unchanged_and_the_repair_command_restores_the_record()
    {
        string file = await WriteStoreAsync();
        byte[] bytes = File.ReadAllBytes(file);
        int flipped = bytes.Length / 2;
        bytes[flipped] ^= 0x10;
        File.WriteAllBytes(file, bytes);
        byte[] damaged = File.ReadAllBytes(file);

        await using (var store = new EmbeddedItemStore(file, NullLogger<EmbeddedItemStore>.Instance))
        {
            StoreDamagedException refused = await Assert.ThrowsAsync<StoreDamagedException>(() => store.StartAsync(CancellationToken.None));
            Assert.Contains(file, refused.Message);
            Assert.Contains("valid records follow", refused.Message);
            Assert.Contains($"dotnet Motor.Api.dll store-repair {file}", refused.Message);
        }

        Assert.Equal(damaged, File.ReadAllBytes(file)); // nothing changed
        var output = new StringWriter();
        Assert.Equal(0, StoreRepair.Run(["store-repair", file], output, TextWriter.Null));
        Assert.Contains("one flipped bit, record restored", output.ToString());
        await using EmbeddedItemStore repaired = await StartAsync(file);
        Assert.Equal(Items, repaired.State.ItemCount);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(file)!, Path.GetFileName(file) + ".before-repair-*"));
    }

    [Fact]
    public async Task Damage_one_bit_cannot_explain_is_moved_to_a_side_file_and_the_records_after_it_are_kept()
    {
        string file = await WriteStoreAsync();
        byte[] bytes = File.ReadAllBytes(file);
        int start = bytes.Length / 2;
        for (int index = start; index < start + 16; index++)
        {
            bytes[index] = 0xAB;
        }

        File.WriteAllBytes(file, bytes);
        var output = new StringWriter();
        Assert.Equal(0, StoreRepair.Run(["store-repair", file], output, TextWriter.Null));
        Assert.Contains("moved to", output.ToString());
        await using EmbeddedItemStore repaired = await StartAsync(file);

        // The damaged record was one item (or two, when the overwrite crossed a boundary); every other one is kept.
        Assert.InRange(repaired.State.ItemCount, Items - 2, Items - 1);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(file)!, Path.GetFileName(file) + ".damaged-*"));
    }

    [Fact]
    public void Repair_of_an_intact_file_changes_nothing_and_bad_usage_is_one_line()
    {
        var errors = new StringWriter();
        Assert.Equal(2, StoreRepair.Run(["store-repair"], TextWriter.Null, errors));
        Assert.Single(errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        errors = new StringWriter();
        Assert.Equal(1, StoreRepair.Run(["store-repair", Path.Combine(environment.Root, "no-such-store.log")], TextWriter.Null, errors));
        Assert.Contains("no such file", errors.ToString());
    }

    private async Task<string> WriteStoreAsync()
    {
        string file = Path.Combine(environment.Root, "damage", Guid.NewGuid().ToString("N")[..8], "store.log");
        await using EmbeddedItemStore store = await StartAsync(file);
        for (int index = 0; index < Items; index++)
        {
            await store.WriteItemsAsync([Item($"item-{index}", index)], replace: false, CancellationToken.None);
        }

        return file;
    }

    private static async Task<EmbeddedItemStore> StartAsync(string file)
    {
        var store = new EmbeddedItemStore(file, NullLogger<EmbeddedItemStore>.Instance);
        await store.StartAsync(CancellationToken.None);
        return store;
    }

    private StoredItem Item(string id, int seed) => new()
    {
        ItemId = id,
        ContentHash = $"hash-{seed}",
        Features = environment.RandomFeatures(seed),
        ModelVersion = "v",
        Tokens = new Dictionary<string, int[]> { ["image"] = [1, 2] },
        Vector = [1f, 2f],
        IngestedAt = DateTimeOffset.UnixEpoch,
    };
}
