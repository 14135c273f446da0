using Motor.Trainer.Commands;

return TrainerApp.Run(args);
