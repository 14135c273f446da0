namespace Motor.Inference;
