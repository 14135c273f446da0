using System.Net;
using System.Net.Http.Json;

namespace Motor.Api.Tests.Faults;

/// <summary>Faults that need real processes: two on one store file, a taken port, kill -9, damage found at start.</summary>
[Collection(ApiCollection.Name)]
public sealed class StoreProcessFaultTests(ApiEnvironment environment)
{
    [Fact]
    public async Task A_second_process_on_the_same_store_refuses_to_start_naming_the_holder_and_nothing_acknowledged_is_lost()
    {
        string store = StorePath();
        var acknowledged = new List<string>();
        await using (ApiProcess first = await ApiProcess.Start(environment.BundlePath, store).WaitReadyAsync())
        {
            await IngestAsync(first, "first-a", 30, acknowledged);

            await using ApiProcess second = ApiProcess.Start(environment.BundlePath, store);
            Assert.Equal(1, await second.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            string refusal = Assert.Single(second.Output.Split('\n'), line => line.StartsWith("motor-api: ", StringComparison.Ordinal));
            Assert.Contains(store, refusal);
            Assert.Contains($"in use by pid {first.Id}", refusal);

            // The holder goes on, and its file was not touched by the refused process.
            await IngestAsync(first, "first-b", 30, acknowledged);
            first.KillHard();
        }

        await using ApiProcess restarted = await ApiProcess.Start(environment.BundlePath, store).WaitReadyAsync();
        foreach (string itemId in acknowledged)
        {
            Assert.Equal(HttpStatusCode.OK, (await restarted.Client.GetAsync($"/v1/items/{itemId}")).StatusCode);
        }

        Assert.Equal(60, acknowledged.Count);
    }

    [Fact]
    public async Task A_process_that_cannot_bind_its_port_never_opens_the_store()
    {
        await using ApiProcess holder = await ApiProcess.Start(environment.BundlePath, StorePath()).WaitReadyAsync();
        string untouched = StorePath();
        await using ApiProcess conflicting = ApiProcess.Start(environment.BundlePath, untouched, port: holder.Port);
        Assert.NotEqual(0, await conflicting.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("address already in use", conflicting.Output, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(untouched), "the store file was created by a process that never served");
    }

    [Fact]
    public async Task Damage_inside_the_store_stops_the_process_with_the_repair_command_and_the_repaired_store_serves_everything()
    {
        string store = StorePath();
        var acknowledged = new List<string>();
        await using (ApiProcess writer = await ApiProcess.Start(environment.BundlePath, store).WaitReadyAsync())
        {
            await IngestAsync(writer, "flip", 20, acknowledged);
        }

        byte[] bytes = File.ReadAllBytes(store);
        bytes[bytes.Length / 2] ^= 0x04;
        File.WriteAllBytes(store, bytes);

        await using (ApiProcess refused = ApiProcess.Start(environment.BundlePath, store))
        {
            Assert.Equal(1, await refused.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            string line = Assert.Single(refused.Output.Split('\n'), text => text.StartsWith("motor-api: ", StringComparison.Ordinal));
            Assert.Contains($"dotnet Motor.Api.dll store-repair {store}", line);
        }

        Assert.Equal(bytes, File.ReadAllBytes(store));
        var repair = new System.Diagnostics.ProcessStartInfo("dotnet") { WorkingDirectory = AppContext.BaseDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        repair.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Motor.Api.dll"));
        repair.ArgumentList.Add("store-repair");
        repair.ArgumentList.Add(store);
        using (var process = System.Diagnostics.Process.Start(repair)!)
        {
            string output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, output + await process.StandardError.ReadToEndAsync());
            Assert.Contains("record restored", output);
        }

        await using ApiProcess repaired = await ApiProcess.Start(environment.BundlePath, store).WaitReadyAsync();
        foreach (string itemId in acknowledged)
        {
            Assert.Equal(HttpStatusCode.OK, (await repaired.Client.GetAsync($"/v1/items/{itemId}")).StatusCode);
        }
    }

    private async Task IngestAsync(ApiProcess api, string prefix, int count, List<string> acknowledged)
    {
        for (int index = 0; index < count; index++)
        {
            string itemId = $"{prefix}-{index}";
            HttpResponseMessage response = await api.Client.PostAsJsonAsync("/v1/items", new { itemId, features = environment.RandomFeatures(index + prefix.Length * 1000) });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            acknowledged.Add(itemId);
        }
    }

    private string StorePath() => Path.Combine(environment.Root, "process-stores", Guid.NewGuid().ToString("N")[..8], "store.log");
}
